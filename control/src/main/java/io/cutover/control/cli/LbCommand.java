package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.LbRequest;
import io.cutover.control.admin.ApiModel.LbView;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cutover lb [in|out]}. */
@Command(name = "lb", mixinStandardHelpOptions = true,
        description = {"Show whether this host is in the load balancer (its cutover.lb-health check answers 200), "
                + "or take it out (the check answers 503 while every request is served as before) or put it back. "
                + "Held in memory: a restart starts in the load balancer again.",
                "cutover lb out; cutover lb in; cutover lb"})
final class LbCommand implements Callable<Integer> {
    @Parameters(paramLabel = "in|out", arity = "0..1", description = "put the host back (in) or take it out (out)")
    String change;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        AdminClient client = admin.client();
        LbView v;
        if (change == null) {
            v = client.get("/v1/lb", LbView.class);
        } else if (change.equals("in") || change.equals("out")) {
            v = client.post("/v1/lb", new LbRequest(change.equals("in")), LbView.class, "refused");
        } else {
            throw new Main.CliFailure("say in or out, not '" + change + "'");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s: %s%n", v.path(), v.in() ? "in the load balancer (answers 200)"
                : v.stopping() ? "stopping (answers 503)" : "out of the load balancer (answers 503; `cutover lb in` puts it back)");
        out.printf("checks answered: %d ok, %d failed; requests ended: %d%n", v.checksOk(), v.checksFailed(), v.requests());
        return 0;
    }
}
