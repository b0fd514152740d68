package io.cutover.control.config;

/**
 * The access log: where ({@code -} for stdout, or a file) and in which format; off when the path
 * is empty. See reference.conf.
 */
public record AccessLogSettings(String path, Format format) {
    public enum Format { JSON, COMBINED }

    public boolean on() {
        return !path.isEmpty();
    }

    public boolean toStdout() {
        return path.equals("-");
    }
}
