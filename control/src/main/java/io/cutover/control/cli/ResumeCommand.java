package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.ResumeView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cutover resume}. */
@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "End a pause: held requests go on, new ones are routed as usual.")
final class ResumeCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ResumeView r = admin.client().post("/v1/resume", null, ResumeView.class, "resume failed");
        spec.commandLine().getOut().println(r.resumed() ? "resumed: held requests go on" : "not paused; nothing to do");
        return 0;
    }
}
