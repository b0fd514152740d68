package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.deploy.Deployment;
import java.io.PrintWriter;
import java.time.Duration;

/** Prints a deployment's steps as the server records them, until it is done. */
final class DeploymentFollower {
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration GIVE_UP = Duration.ofHours(2);

    private DeploymentFollower() {
    }

    /** @return the exit code: 0 if it succeeded */
    static int follow(AdminClient admin, DeploymentView accepted, PrintWriter out) {
        String what = accepted.kind() + " " + accepted.id()
                + (accepted.release() == null ? "" : " of " + accepted.release());
        out.println(what + " accepted");
        DeploymentView d = accepted;
        int printed = 0;
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        while (true) {
            for (; printed < d.steps().size(); printed++) {
                out.println(line(d.steps().get(printed)));
            }
            out.flush();
            if ("succeeded".equals(d.state())) {
                for (String warning : d.warnings()) {
                    out.println("warning: " + warning);
                }
                out.printf("%s succeeded in %.2f s%s%n", what, d.elapsedMs() / 1000.0,
                        d.warnings().isEmpty() ? "" : " (traffic moved; " + d.warnings().size() + " warning(s) above)");
                return 0;
            }
            if ("failed".equals(d.state())) {
                throw new Main.CliFailure(what + " failed: " + d.error());
            }
            if (System.nanoTime() > deadline) {
                throw new Main.CliFailure("gave up following " + what + " after " + GIVE_UP.toHours() + " h");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Main.CliFailure("interrupted; " + what + " goes on (see cutover status)");
            }
            d = admin.get("/v1/deploys/" + accepted.id(), DeploymentView.class);
        }
    }

    private static String line(Deployment.Step s) {
        String took = s.tookMs() > 0 ? " (" + s.tookMs() + " ms)" : "";
        return String.format("[%6.2f s] %-26s %s%s", s.atMs() / 1000.0, s.name(), s.detail(), took);
    }
}
