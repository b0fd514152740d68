package io.cutover.control.deploy;

import java.util.List;
import java.util.Map;

/**
 * What a deploy runs: an image (docker runtime) or a command (process runtime), with the
 * deploy's own environment on top of the configured one.
 */
public record Release(String image, List<String> command, Map<String, String> env) {
    public Release {
        command = command == null ? List.of() : List.copyOf(command);
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** A short name for logs, metrics and status: the image, or the command line (long ones cut). */
    public String describe() {
        if (image != null && !image.isEmpty()) {
            return image;
        }
        String line = String.join(" ", command);
        return line.length() <= 100 ? line : line.substring(0, 50) + " ... " + line.substring(line.length() - 45);
    }
}
