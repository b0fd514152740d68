package io.cutover.proxy.http;

/** How a message's body ends (RFC 9112 section 6.3). */
public enum Framing {
    /** No body. */
    NONE,
    /** Content-Length bytes. */
    LENGTH,
    /** Transfer-Encoding: chunked. */
    CHUNKED,
    /** A response body that ends when the backend closes the connection. */
    UNTIL_CLOSE
}
