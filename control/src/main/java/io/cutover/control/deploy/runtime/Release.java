package io.cutover.control.deploy.runtime;

import java.util.List;
import java.util.Map;

/**
 * What a deploy runs: an image (docker runtime) or a command (process runtime), with the
 * deploy's own environment on top of the configured one, and optionally a name for it
 * ({@code --release v2.3.1}).
 */
public record Release(String image, List<String> command, Map<String, String> env, String name) {
    public Release {
        command = command == null ? List.of() : List.copyOf(command);
        env = env == null ? Map.of() : Map.copyOf(env);
        name = name == null || name.isBlank() ? null : name.trim();
    }

    public Release(String image, List<String> command, Map<String, String> env) {
        this(image, command, env, null);
    }

    /** The same release, run as {@code command} (what the runtime made of it). */
    public Release running(String image, List<String> command) {
        return new Release(image, command, env, name);
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
