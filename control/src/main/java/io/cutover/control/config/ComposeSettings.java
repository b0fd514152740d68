package io.cutover.control.config;

/**
 * {@code cutover.app.compose}: the service of a compose file the app's deploys run (docker
 * runtime), described by that file rather than by cutover's keys.
 *
 * @param file    the compose file, an absolute path; empty: none
 * @param service the service's name in it
 * @param project the compose project's name; empty: the one the compose CLI gives the file
 * @param port    the port the app listens on in its container; 0: the service's one {@code expose},
 *                else {@code container-port}
 */
public record ComposeSettings(String file, String service, String project, int port) {
    public static final ComposeSettings NONE = new ComposeSettings("", "", "", 0);

    public boolean configured() {
        return !file.isEmpty();
    }
}
