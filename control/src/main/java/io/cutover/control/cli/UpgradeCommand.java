package io.cutover.control.cli;

import io.cutover.control.admin.ProcessControl;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cutover upgrade}: asks the running cutover to start its successor, and waits for the outcome. */
@Command(name = "upgrade", mixinStandardHelpOptions = true,
        description = "Replace the running cutover with a new process started from its own command line (the jar and "
                + "JDK installed now), with no gap: the new one takes the listening sockets over and accepts, then the "
                + "old one finishes its requests and exits. If the new one fails (config, state, health check), the "
                + "old one goes on serving and this says why.")
final class UpgradeCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ProcessControl.Upgraded u = admin.client().post("/v1/upgrade", java.util.Map.of(), ProcessControl.Upgraded.class,
                "upgrade failed");
        spec.commandLine().getOut().printf("upgraded: pid %d took over from pid %d, which finishes its requests and "
                + "exits%n", u.to(), u.from());
        return 0;
    }
}
