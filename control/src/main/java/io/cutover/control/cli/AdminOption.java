package io.cutover.control.cli;

import picocli.CommandLine.Option;

/** {@code --admin HOST:PORT}, shared by every command that talks to a running cutover. */
final class AdminOption {
    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "${env:CUTOVER_ADMIN:-127.0.0.1:8099}",
            description = "admin API of the running cutover (default: $CUTOVER_ADMIN or ${DEFAULT-VALUE})")
    String address;

    @Option(names = "--admin-token", paramLabel = "TOKEN", defaultValue = "${env:CUTOVER_ADMIN_TOKEN}",
            description = "the admin API's token, if it has one (default: $CUTOVER_ADMIN_TOKEN)")
    String token;

    @Option(names = "--app", paramLabel = "NAME", defaultValue = "${env:CUTOVER_APP}",
            description = "the app to act on, when cutover serves several (default: $CUTOVER_APP, or the only one)")
    String app;

    AdminClient client() {
        return new AdminClient(address, token, app);
    }
}
