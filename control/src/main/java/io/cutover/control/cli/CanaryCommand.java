package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.CanaryAccepted;
import io.cutover.control.admin.ApiModel.CanaryRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cutover canary promote|abort|set PERCENT}. */
@Command(name = "canary", mixinStandardHelpOptions = true,
        description = {"Steer the running canary by hand: promote it now (it takes every request, the stable "
                + "version drains), abort it now (every request back to the stable version, the canary stopped), or "
                + "set its share (the plan goes on from the next step above it).",
                "The deploy that runs the canary reports what happened (`cutover status` too)."})
final class CanaryCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "promote|abort|set", description = "what to do")
    String action;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PERCENT", description = "the share, for set")
    Integer percent;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!action.equals("promote") && !action.equals("abort") && !action.equals("set")) {
            throw new Main.CliFailure("say promote, abort or set PERCENT");
        }
        if (action.equals("set") && percent == null) {
            throw new Main.CliFailure("set needs a PERCENT");
        }
        CanaryAccepted r = admin.client().post("/v1/canary", new CanaryRequest(action, percent), CanaryAccepted.class,
                "canary " + action + " refused");
        spec.commandLine().getOut().printf("canary of app %s: %s%s passed to deploy %s%n", r.app(), r.action(),
                r.percent() == null || !action.equals("set") ? "" : " " + r.percent() + "%", r.deployId());
        return 0;
    }
}
