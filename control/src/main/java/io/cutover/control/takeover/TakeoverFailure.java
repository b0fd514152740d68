package io.cutover.control.takeover;

/** A takeover did not happen; the message says why in one line. The running cutover goes on. */
public final class TakeoverFailure extends RuntimeException {
    public TakeoverFailure(String message) {
        super(message);
    }

    public TakeoverFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
