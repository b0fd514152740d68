package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.PauseRequest;
import io.cutover.control.admin.ApiModel.PauseView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cutover pause}. */
@Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Hold new requests (they wait, they are not failed) until `cutover resume`, each for at most "
                + "--timeout, then 503 with Retry-After; requests under way finish. For a migration between two "
                + "versions. It survives a restart of cutover when an app is configured.")
final class PauseCommand implements Callable<Integer> {
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "how long a request may be held (default: 30)")
    Long timeout;

    @Option(names = "--max-held", paramLabel = "N",
            description = "requests held at most at once; beyond, 503 at once (default: 1000)")
    Integer maxHeld;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PauseView r = admin.client().post("/v1/pause", new PauseRequest(timeout, maxHeld), PauseView.class,
                "pause failed");
        spec.commandLine().getOut().printf("paused: new requests are held for up to %d s (at most %d at once); "
                + "`cutover resume` lets them go on%s%n", r.timeoutSeconds(), r.maxHeld(),
                r.persisted() ? "" : "; no app is configured, so a restart of cutover ends the pause");
        return 0;
    }
}
