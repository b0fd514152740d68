package io.cutover.control.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cutover reopen-logs}: the same as sending SIGUSR1 to {@code cutover serve}. */
@Command(name = "reopen-logs", mixinStandardHelpOptions = true,
        description = "Open the access log file again, as logrotate's postrotate step needs (no-op without one).")
final class ReopenLogsCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        admin.client().post("/v1/reopen-logs", java.util.Map.of(), java.util.Map.class, "reopen-logs failed");
        spec.commandLine().getOut().println("access log reopened");
        return 0;
    }
}
