package io.cutover.control.deploy.runtime;

import java.util.List;
import java.util.Map;

/**
 * What a deploy runs: an image (docker runtime) or a command (process runtime), with the
 * deploy's own environment on top of the configured one, and optionally a name for it
 * ({@code --release v2.3.1}).
 *
 * @param compose the service of a compose file it runs (docker runtime), or null; then {@code image}
 *                is a full image or a tag of the service's image
 */
public record Release(String image, List<String> command, Map<String, String> env, String name, Compose compose) {
    public Release {
        command = command == null ? List.of() : List.copyOf(command);
        env = env == null ? Map.of() : Map.copyOf(env);
        name = name == null || name.isBlank() ? null : name.trim();
    }

    public Release(String image, List<String> command, Map<String, String> env, String name) {
        this(image, command, env, name, null);
    }

    public Release(String image, List<String> command, Map<String, String> env) {
        this(image, command, env, null, null);
    }

    /**
     * A service of a compose file: the file (an absolute path), the service's name, and the
     * project's name (null: the one the compose CLI gives the file).
     */
    public record Compose(String file, String service, String project) {
    }

    /** The same release, run as {@code command} (what the runtime made of it). */
    public Release running(String image, List<String> command) {
        return new Release(image, command, env, name, compose);
    }

    /**
     * A short name for logs, metrics ({@code version}), status and the access log: the name it
     * was given, or the image, or the command line (long ones cut).
     */
    public String describe() {
        if (name != null) {
            return name;
        }
        if (image != null && !image.isEmpty()) {
            return image;
        }
        String line = String.join(" ", command);
        return line.length() <= 100 ? line : line.substring(0, 50) + " ... " + line.substring(line.length() - 45);
    }
}
