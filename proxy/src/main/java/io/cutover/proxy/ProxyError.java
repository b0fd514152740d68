package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;

/**
 * Every way a proxied request can fail, and the status the client gets for it. This is the one
 * place where failures become statuses; the client sees a short text, never a stack trace.
 */
enum ProxyError {
    /** The client's request could not be parsed, or is ambiguous (a smuggling attempt). */
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST),
    /** The request head did not arrive in time (a slow or stalled client). */
    REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT),
    /** The request body is larger than allowed. */
    BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE),
    /** The request line is longer than allowed. */
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG),
    /** The header section is larger than allowed. */
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE),
    /** No backend has been switched in yet. */
    NO_TARGET(HttpResponseStatus.SERVICE_UNAVAILABLE),
    /** The backend refused, reset or closed the connection before a response. */
    BACKEND_UNREACHABLE(HttpResponseStatus.BAD_GATEWAY),
    /** The backend sent something that is not a valid HTTP response. */
    BAD_RESPONSE(HttpResponseStatus.BAD_GATEWAY),
    /** Connecting, or waiting for the response to start, took longer than allowed. */
    BACKEND_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT);

    private final HttpResponseStatus status;
    private final byte[] body;

    ProxyError(HttpResponseStatus status) {
        this.status = status;
        this.body = (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    HttpResponseStatus status() {
        return status;
    }

    /** The failure a backend connection error stands for. */
    static ProxyError of(Throwable cause) {
        if (cause instanceof ConnectTimeoutException || cause instanceof ResponseTimeoutException) {
            return BACKEND_TIMEOUT;
        }
        if (cause instanceof BadResponseException) {
            return BAD_RESPONSE;
        }
        return BACKEND_UNREACHABLE;
    }

    /** The failure a request the decoder could not take stands for. */
    static ProxyError ofBadRequest(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return HEADERS_TOO_LARGE;
        }
        if (cause instanceof TooLongHttpLineException) {
            return URI_TOO_LONG;
        }
        return BAD_REQUEST;
    }

    FullHttpResponse toResponse(boolean keepAlive) {
        ByteBuf content = Unpooled.wrappedBuffer(body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** No response started within the response timeout. */
    static final class ResponseTimeoutException extends Exception {
        ResponseTimeoutException() {
            super("backend did not start a response in time", null, false, false);
        }
    }

    /** The backend's response could not be parsed, or switched protocols unasked. */
    static final class BadResponseException extends Exception {
        BadResponseException(String message) {
            super(message, null, false, false);
        }
    }
}
