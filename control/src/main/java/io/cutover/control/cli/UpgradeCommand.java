package io.cutover.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
        // ProcessControl.Upgraded, read as a tree: the command's own JVM start is part of an upgrade's time
        AdminClient client = admin.client();
        JsonNode u = client.postTree("/v1/upgrade", "upgrade failed");
        if (!u.path("to").canConvertToLong() || !u.path("from").canConvertToLong()) {
            // answered 2xx: the upgrade happened, whatever else the answer says
            spec.commandLine().getOut().println("upgraded (the running cutover did not say which processes)");
            return 0;
        }
        spec.commandLine().getOut().printf("upgraded: pid %d took over from pid %d, which finishes its requests and "
                + "exits%n", u.path("to").asLong(), u.path("from").asLong());
        return 0;
    }
}
