package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import java.nio.charset.StandardCharsets;

/**
 * A parsed request head: the bytes as received (request line to the empty line), and what the
 * proxy needs from them, found while parsing. Everything else stays bytes and is copied to the
 * backend as it came. Reference counted: the last {@link #release()} lets go of {@link #raw()}.
 */
public final class RequestHead extends AbstractReferenceCounted {
    final ByteBuf raw;
    String method;
    int targetStart;
    int targetEnd;
    boolean http10;
    int hostStart = -1;
    int hostEnd = -1;
    long contentLength = -1;
    boolean chunked;
    boolean close;
    boolean keepAlive;
    boolean connectionUpgrade;
    /** The Connection header names other headers, which must not be forwarded. */
    boolean connectionNamesOthers;
    int upgradeStart = -1;
    int upgradeEnd = -1;
    int requestIdStart = -1;
    int requestIdEnd = -1;
    private String target;
    private String host;

    RequestHead(ByteBuf raw) {
        this.raw = raw;
    }

    /** The head's bytes (not to be released by the caller). */
    public ByteBuf raw() {
        return raw;
    }

    public String method() {
        return method;
    }

    /** GET, HEAD, OPTIONS, TRACE, PUT, DELETE (RFC 9110 9.2.2): safe to send again if it cannot have been processed. */
    public boolean idempotent() {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> false;
        };
    }

    public boolean isHead() {
        return "HEAD".equals(method);
    }

    public String target() {
        if (target == null) {
            target = raw.toString(targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
        }
        return target;
    }

    public boolean http10() {
        return http10;
    }

    /** The Host header's value, or null. */
    public String host() {
        if (host == null && hostStart >= 0) {
            host = raw.toString(hostStart, hostEnd - hostStart, StandardCharsets.ISO_8859_1);
        }
        return host;
    }

    public Framing framing() {
        return chunked ? Framing.CHUNKED : contentLength > 0 ? Framing.LENGTH : Framing.NONE;
    }

    /** The declared length, or -1 (chunked or no Content-Length). */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the client wants its connection kept after this exchange. */
    public boolean keepAlive() {
        return http10 ? keepAlive && !close : !close;
    }

    /** The protocol an upgrade request asks for (Connection: upgrade plus Upgrade), or null. */
    public String upgrade() {
        return !http10 && connectionUpgrade && upgradeStart >= 0
                ? raw.toString(upgradeStart, upgradeEnd - upgradeStart, StandardCharsets.ISO_8859_1) : null;
    }

    /** The X-Request-Id the client sent, or null. */
    public String requestId() {
        return requestIdStart < 0 ? null
                : raw.toString(requestIdStart, requestIdEnd - requestIdStart, StandardCharsets.ISO_8859_1);
    }

    /** The last release lets go of the head's bytes. */
    @Override
    protected void deallocate() {
        raw.release();
    }

    @Override
    public RequestHead touch(Object hint) {
        raw.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return method + " " + target();
    }
}
