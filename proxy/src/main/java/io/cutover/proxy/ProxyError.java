package io.cutover.proxy;

import io.cutover.proxy.http.HttpParseException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Every way a proxied request can fail, and the status the client gets for it. This is the one
 * place where failures become statuses; the client sees a short text, never a stack trace.
 */
enum ProxyError {
    /** The client's request could not be parsed, or is ambiguous (a smuggling attempt). */
    BAD_REQUEST(400, "Bad Request"),
    /** A method the proxy does not forward (CONNECT). */
    METHOD_NOT_ALLOWED(405, "Method Not Allowed"),
    /** The request head did not arrive in time (a slow or stalled client). */
    REQUEST_TIMEOUT(408, "Request Timeout"),
    /** The request body is larger than allowed. */
    BODY_TOO_LARGE(413, "Content Too Large"),
    /** The request line is longer than allowed. */
    URI_TOO_LONG(414, "URI Too Long"),
    /** The header section is larger than allowed. */
    HEADERS_TOO_LARGE(431, "Request Header Fields Too Large"),
    /** No backend has been switched in yet. */
    NO_TARGET(503, "Service Unavailable"),
    /** The backend refused, reset or closed the connection before a response. */
    BACKEND_UNREACHABLE(502, "Bad Gateway"),
    /** The backend sent something that is not a valid HTTP response. */
    BAD_RESPONSE(502, "Bad Gateway"),
    /** No connection to the backend could be opened here (no file descriptor left, say). */
    NO_CONNECTION(503, "Service Unavailable"),
    /** Connecting, or waiting for the response to start, took longer than allowed. */
    BACKEND_TIMEOUT(504, "Gateway Timeout");

    private final int status;
    private final ByteBuf keepAlive;
    private final ByteBuf close;

    ProxyError(int status, String reason) {
        this.status = status;
        String body = status + " " + reason + "\n";
        String head = "HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: text/plain\r\ncontent-length: "
                + body.length() + "\r\n";
        this.keepAlive = constant(head + "\r\n" + body);
        this.close = constant(head + "connection: close\r\n\r\n" + body);
    }

    private static ByteBuf constant(String s) {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(s.length()).writeBytes(s.getBytes(StandardCharsets.US_ASCII)))
                .asReadOnly();
    }

    int status() {
        return status;
    }

    /** The failure a backend connection error stands for. */
    static ProxyError of(Throwable cause) {
        if (cause instanceof ConnectTimeoutException || cause instanceof ResponseTimeoutException) {
            return BACKEND_TIMEOUT;
        }
        if (cause instanceof HttpParseException) {
            return BAD_RESPONSE;
        }
        return BACKEND_UNREACHABLE;
    }

    /** The answer to a request the client decoder refused. */
    static ProxyError ofRequest(HttpParseException e) {
        return switch (e.kind()) {
            case MALFORMED -> BAD_REQUEST;
            case LINE_TOO_LONG -> URI_TOO_LONG;
            case HEAD_TOO_LARGE -> HEADERS_TOO_LARGE;
            case METHOD_NOT_ALLOWED -> METHOD_NOT_ALLOWED;
            case BODY_TOO_LARGE -> BODY_TOO_LARGE;
        };
    }

    /** The whole response, ready to write (a shared, read-only buffer: writing it never releases it). */
    ByteBuf response(boolean keepAlive) {
        return (keepAlive ? this.keepAlive : this.close).duplicate();
    }

    /** No response started within the response timeout. */
    static final class ResponseTimeoutException extends Exception {
        ResponseTimeoutException() {
            super("backend did not start a response in time", null, false, false);
        }
    }
}
