package io.cutover.control.config;

/** A setting that cannot be used; the message names the key and says why. */
public final class ConfigError extends RuntimeException {
    public ConfigError(String message) {
        super(message);
    }
}
