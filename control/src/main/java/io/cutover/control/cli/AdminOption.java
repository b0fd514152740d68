package io.cutover.control.cli;

import io.cutover.control.admin.AdminToken;
import io.cutover.control.cli.Main.CliFailure;
import io.cutover.control.config.ConfigError;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Environment;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --admin HOST:PORT} and its token, shared by every command that talks to a running
 * cutover. The token: {@code --admin-token}, else {@code $CUTOVER_ADMIN_TOKEN}, else the one
 * {@code cutover serve} made in its state directory (so that the same user needs no flag).
 */
final class AdminOption {
    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "${env:CUTOVER_ADMIN:-127.0.0.1:8099}",
            description = "admin API of the running cutover, HOST:PORT or unix:PATH (its cutover.admin-socket; "
                    + "no token needed) (default: $CUTOVER_ADMIN or ${DEFAULT-VALUE})")
    String address;

    @Option(names = "--admin-token", paramLabel = "TOKEN", defaultValue = "${env:CUTOVER_ADMIN_TOKEN}",
            description = "the admin API's token (default: $CUTOVER_ADMIN_TOKEN, else the one in the state directory)")
    String token;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "the running cutover's state directory, where it keeps its admin token (default: "
                    + "$CUTOVER_STATE_DIR, else /var/lib/cutover for root, else $XDG_STATE_HOME/cutover or "
                    + "~/.local/state/cutover, as for `cutover serve`)")
    Path stateDir;

    @Option(names = "--app", paramLabel = "NAME", defaultValue = "${env:CUTOVER_APP}",
            description = "the app to act on, when cutover serves several (default: $CUTOVER_APP, or the only one)")
    String app;

    AdminClient client() {
        String t = token != null && !token.isBlank() ? token : tokenFile(stateDir);
        return new AdminClient(address, t, app);
    }

    /**
     * The token {@code cutover serve} keeps in this state directory (null: the default one), or
     * null if there is none.
     */
    static String tokenFile(Path stateDir) {
        Path dir;
        try {
            dir = stateDir != null ? stateDir.toAbsolutePath() : ConfigLoader.defaultStateDir(Environment.SYSTEM);
        } catch (ConfigError e) {
            return null;    // no HOME: no state directory to look in
        }
        try {
            return AdminToken.read(dir).orElse(null);
        } catch (IOException e) {
            throw new CliFailure("cannot read the admin token in " + dir.resolve(AdminToken.FILE) + " ("
                    + e.getClass().getSimpleName() + "): run this as the user cutover runs as, or pass --admin-token "
                    + "or $CUTOVER_ADMIN_TOKEN");
        }
    }
}
