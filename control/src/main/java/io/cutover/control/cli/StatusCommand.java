package io.cutover.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.ApiModel.AppView;
import io.cutover.control.admin.ApiModel.BackendView;
import io.cutover.control.admin.ApiModel.BakeView;
import io.cutover.control.admin.ApiModel.BakeWindowView;
import io.cutover.control.admin.ApiModel.CanaryView;
import io.cutover.control.admin.ApiModel.DrainView;
import io.cutover.control.admin.ApiModel.InstanceView;
import io.cutover.control.admin.ApiModel.ReplicaView;
import io.cutover.control.admin.ApiModel.Status;
import io.cutover.control.admin.ApiModel.StatusAll;
import io.cutover.control.admin.ApiModel.SwitchView;
import io.cutover.control.admin.ApiModel.WindowView;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cutover status}. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the active and previous targets, requests in flight, a canary and its windows, and the "
                + "last switch; of every app when cutover serves several and --app names none.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        AdminClient client = admin.client();
        JsonNode answer = client.get("/v1/status", JsonNode.class);
        ObjectMapper json = AdminClient.json();
        PrintWriter out = spec.commandLine().getOut();
        if (answer.has("apps")) {
            for (Status s : json.treeToValue(answer, StatusAll.class).apps()) {
                out.printf("== app %s%n", s.name());
                print(s, out);
            }
        } else {
            print(json.treeToValue(answer, Status.class), out);
        }
        loadBalancer(client, out);
        return 0;
    }

    /** Whether the host is in the load balancer; nothing without a check (cutover.lb-health.path empty). */
    private static void loadBalancer(AdminClient client, PrintWriter out) {
        io.cutover.control.admin.ApiModel.LbView lb;
        try {
            lb = client.get("/v1/lb", io.cutover.control.admin.ApiModel.LbView.class);
        } catch (Main.CliFailure e) {
            return;     // no load balancer check here (409), or a cutover from before /v1/lb (404)
        }
        out.printf("lb        %s%n", lb.in() ? "in: " + lb.path() + " answers 200"
                : lb.stopping() ? "stopping: " + lb.path() + " answers 503"
                : "OUT: " + lb.path() + " answers 503 while it serves (`cutover lb in` puts it back)");
    }

    private static void print(Status s, PrintWriter out) {
        if (s.active() == null) {
            out.println("active    none (requests are answered 503 until the first switch)");
        }
        for (BackendView b : s.backends()) {
            out.printf("%-9s %-21s in-flight %d, connections %d%n", b.state(), b.target(), b.inFlight(), b.connections());
            if (b.replicas() != null && b.replicas().size() > 1) {
                for (int k = 0; k < b.replicas().size(); k++) {
                    ReplicaView r = b.replicas().get(k);
                    out.printf("  replica %d %-21s %s, in-flight %d, connections %d%n", k + 1, r.target(),
                            r.up() ? "up" : "down (" + r.down() + ")", r.inFlight(), r.connections());
                }
            }
        }
        out.printf("previous  %s%s%n", s.previous() == null ? "none" : s.previous(),
                s.previousWarm() ? " (healthy just now: switching back is instant)" : "");
        if (s.paused() != null) {
            out.printf("paused: %d requests held (each for up to %d s, at most %d); `cutover resume` ends it%n",
                    s.paused().held(), s.paused().timeoutSeconds(), s.paused().maxHeld());
        }
        if (s.maintenance()) {
            out.println("maintenance on: every request is answered 503 (`cutover maintenance off` ends it)");
        }
        CanaryView c = s.canary();
        if (c != null) {
            out.printf("canary %s takes %d%% of requests (steps %s, windows of %d s)%n", c.target(), c.share(), c.steps(),
                    c.intervalMs() / 1000);
            if (c.held()) {
                out.println("  held: inconclusive at the progress deadline; decide with `cutover canary promote` or "
                        + "`cutover canary abort`");
            }
            for (WindowView w : c.windows()) {
                out.printf("  %-12s at %3d%%: %s; canary %d requests, %d errors, p99 %.1f ms; stable %d requests, "
                        + "%d errors, p99 %.1f ms%n", w.verdict(), w.share(), w.why(), w.canary().requests(),
                        w.canary().errors(), w.canary().p99Ms(), w.stable().requests(), w.stable().errors(),
                        w.stable().p99Ms());
            }
        }
        BakeView bake = s.bake();
        if (bake != null) {
            out.printf("baking %s: %d s of %d s, %s kept running to go back to (windows of the new version since the "
                    + "flip against the previous version before it)%n", bake.target(), bake.elapsedMs() / 1000,
                    bake.lengthMs() / 1000, bake.previous());
            for (BakeWindowView w : bake.windows()) {
                out.printf("  %-12s after %3d s: %s; new %d requests, %d errors, p99 %.1f ms; before %d requests, "
                        + "%d errors, p99 %.1f ms%n", w.verdict(), w.elapsedMs() / 1000, w.why(), w.now().requests(),
                        w.now().errors(), w.now().p99Ms(), w.before().requests(), w.before().errors(),
                        w.before().p99Ms());
            }
        }
        AppView app = s.app();
        if (app != null) {
            out.printf("app %s (%s)%s%n", app.name(), app.runtime(),
                    app.deploying() == null ? "" : ", deploy " + app.deploying() + " running");
            printVersion(out, "version", app.active());
            printVersion(out, "previous version", app.previous());
            if (app.previousStopsAt() != null) {
                out.printf("  %-17s %s (kept running for an instant rollback until then)%n", "previous stops at",
                        app.previousStopsAt());
            }
            if (app.problem() != null) {
                out.printf("  %-17s %s%n", "problem", app.problem());
            }
        }
        SwitchView w = s.lastSwitch();
        if (w == null) {
            out.println("last switch: none");
            return;
        }
        out.printf("last switch: %s -> %s at %s, healthy after %d ms%n",
                w.from() == null ? "none" : w.from(), w.to(), w.at(), w.healthWaitMs());
        DrainView d = w.drain();
        if (d == null && w.from() != null) {
            out.printf("  draining %s ...%n", w.from());
        } else if (w.from() != null) {
            out.printf("  drained %d of %d in-flight requests in %d ms, %d cut at the deadline%n",
                    d.completed(), d.inFlight(), d.tookMs(), d.forced());
        }
    }

    private static void printVersion(PrintWriter out, String label, InstanceView v) {
        if (v == null) {
            out.printf("  %-17s none%n", label);
        } else {
            out.printf("  %-17s %s on %s at %s (deploy %s, %s)%n", label, v.release(), v.colour(), v.target(),
                    v.deployId(), v.running());
        }
    }
}
