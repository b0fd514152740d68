package io.cutover.control.deploy;

/** A deploy that failed for a reason the user can act on. */
public final class DeployException extends Exception {
    public DeployException(String message) {
        super(message);
    }
}
