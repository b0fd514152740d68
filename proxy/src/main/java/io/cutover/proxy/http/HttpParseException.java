package io.cutover.proxy.http;

/** A message that cannot be taken as it is; {@link #kind()} says how the proxy answers it. */
public final class HttpParseException extends Exception {
    /** What was wrong, as far as the answer goes. */
    public enum Kind {
        /** Malformed or ambiguous (a request: 400; a response: 502). */
        MALFORMED,
        /** The request line is longer than allowed (414). */
        LINE_TOO_LONG,
        /** The header section is larger than allowed (431). */
        HEAD_TOO_LARGE,
        /** A method the proxy does not forward (CONNECT: 405). */
        METHOD_NOT_ALLOWED,
        /** A request body over the configured limit (413). */
        BODY_TOO_LARGE
    }

    private final Kind kind;

    public HttpParseException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
