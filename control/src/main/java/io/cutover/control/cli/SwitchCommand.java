package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.SwitchRequest;
import io.cutover.control.admin.ApiModel.SwitchResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cutover switch HOST:PORT}. */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Switch traffic to HOST:PORT once it passes its health check. Requests in flight "
                + "on the old target finish there (drain); every new request goes to the new one.")
final class SwitchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "HOST:PORT", description = "the target to send traffic to")
    String target;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SwitchResponse r = admin.client().post("/v1/switch", new SwitchRequest(target),
                SwitchResponse.class, "switch to " + target + " failed");
        var out = spec.commandLine().getOut();
        if (!r.changed()) {
            out.println(r.active() + " is already active; nothing to do");
        } else if (r.previous() == null) {
            out.printf("routing to %s (healthy after %d ms)%n", r.active(), r.healthWaitMs());
        } else {
            out.printf("switched %s -> %s (healthy after %d ms)%n", r.previous(), r.active(), r.healthWaitMs());
            out.printf("%s is draining its in-flight requests; `cutover status` shows how it went%n", r.previous());
        }
        return 0;
    }
}
