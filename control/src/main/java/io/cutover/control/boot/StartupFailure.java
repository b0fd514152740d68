package io.cutover.control.boot;

/** cutover cannot start, for a reason the user can act on; the message says it in one line. */
public final class StartupFailure extends RuntimeException {
    public StartupFailure(String message) {
        super(message);
    }

    public StartupFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
