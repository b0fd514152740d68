package io.cutover.control.config;

/**
 * The access log: where ({@code -} for stdout, or a file) and in which format; off when the path
 * is empty. Lines waiting to be written hold at most {@code buffer} bytes of heap (an estimate);
 * beyond that they are dropped. See reference.conf.
 */
public record AccessLogSettings(String path, Format format, long buffer) {
    public enum Format { JSON, COMBINED }

    /** The default buffer: 8 MiB. */
    public static final long DEFAULT_BUFFER = 8L << 20;

    public AccessLogSettings(String path, Format format) {
        this(path, format, DEFAULT_BUFFER);
    }

    public boolean on() {
        return !path.isEmpty();
    }

    public boolean toStdout() {
        return path.equals("-");
    }
}
