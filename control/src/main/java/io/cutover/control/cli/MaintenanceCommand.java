package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.MaintenanceRequest;
import io.cutover.control.admin.ApiModel.MaintenanceView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cutover maintenance on|off}. */
@Command(name = "maintenance", mixinStandardHelpOptions = true,
        description = "Maintenance mode: while on, every request is answered 503 with Retry-After and a page "
                + "(JSON for clients that ask for JSON), and the app is not reached; requests under way finish. "
                + "It survives a restart of cutover when an app is configured.")
final class MaintenanceCommand implements Callable<Integer> {
    enum Switch { on, off }

    @Parameters(paramLabel = "on|off", description = "turn it on or off")
    Switch mode;

    @Option(names = "--page", paramLabel = "FILE", description = "the HTML page to show (default: a short notice)")
    Path page;

    @Option(names = "--retry-after", paramLabel = "SECONDS", description = "what Retry-After tells clients (default: 60)")
    Long retryAfter;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        boolean on = mode == Switch.on;
        if (!on && (page != null || retryAfter != null)) {
            throw new ParameterException(spec.commandLine(), "--page and --retry-after go with `maintenance on`");
        }
        String html = null;
        if (page != null) {
            try {
                html = Files.readString(page, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "cannot read " + page + ": " + e.getMessage());
            }
        }
        MaintenanceView r = admin.client().post("/v1/maintenance", new MaintenanceRequest(on, html, retryAfter),
                MaintenanceView.class, "maintenance " + mode + " failed");
        var out = spec.commandLine().getOut();
        if (r.on()) {
            out.printf("maintenance on: every request is answered 503 (Retry-After: %d s)%s%n", r.retryAfterSeconds(),
                    r.persisted() ? "" : "; no app is configured, so a restart of cutover ends it");
        } else {
            out.println("maintenance off: requests reach the app again");
        }
        return 0;
    }
}
