package io.cutover.control.admin;

/** A request the admin API refuses, with the status it answers. */
public final class ApiException extends Exception {
    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
