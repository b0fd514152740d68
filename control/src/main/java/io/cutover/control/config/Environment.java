package io.cutover.control.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the configuration's defaults depend on outside the config: who runs cutover, and the environment. */
public interface Environment {
    Environment SYSTEM = new Environment() {
        @Override
        public boolean root() {
            try {
                return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return "root".equals(System.getProperty("user.name"));
            }
        }

        @Override
        public String variable(String name) {
            return System.getenv(name);
        }
    };

    /** Whether cutover runs as root. */
    boolean root();

    /** An environment variable, or null. */
    String variable(String name);
}
