package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A parsed request head: the bytes as received (request line to the empty line), and what the
 * proxy needs from them, found while parsing. Everything else stays bytes and is copied to the
 * backend as it came. Reference counted: the last {@link #release()} lets go of {@link #raw()}.
 */
public final class RequestHead extends HeadFields {
    ByteBuf raw;
    private java.util.function.Consumer<RequestHead> recycler;
    String method;
    int targetStart;
    int targetEnd;
    boolean http10;
    private String target;
    private String host;
    /** An absolute-form target's authority (without userinfo), which names the request's host; -1: origin form. */
    int authorityStart;
    int authorityEnd;
    private String targetHost;
    /** An X-Request-Id given here to a request that came without one (sent to the app), or null. */
    String givenRequestId;

    RequestHead() {
    }

    /** Takes on a new head's bytes (a fresh object, or one handed back to its decoder). */
    RequestHead reset(ByteBuf bytes, java.util.function.Consumer<RequestHead> recycle) {
        resetFields();
        method = null;
        targetStart = targetEnd = 0;
        http10 = false;
        target = null;
        host = null;
        authorityStart = authorityEnd = -1;
        targetHost = null;
        givenRequestId = null;
        this.raw = bytes;
        this.recycler = recycle;
        return this;
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

    /**
     * The host the request is for (RFC 9112 3.2.2): an absolute-form target's authority, port
     * included ({@code http://a.test:8080/x}: {@code a.test:8080}), which wins over the Host
     * header; else the Host header's value; null if neither. What routing, X-Forwarded-Host and
     * the Host the backend gets go by.
     */
    public String targetHost() {
        if (authorityStart < 0) {
            return host();
        }
        if (targetHost == null) {
            targetHost = raw.toString(authorityStart, authorityEnd - authorityStart, StandardCharsets.ISO_8859_1);
        }
        return targetHost;
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

    /**
     * The headers whose values the proxy copies into the outgoing head as bytes, found by
     * {@link #count}, {@link #valueStart} and {@link #valueEnd} (or {@link #joined}, if several).
     * HOST is the request's host, {@link #targetHost()}: one line at most.
     */
    public enum Copyable { HOST, X_FORWARDED_FOR, X_FORWARDED_PROTO, X_FORWARDED_HOST }

    /** How many lines of a header there were. */
    public int count(Copyable header) {
        return switch (header) {
            case HOST -> authorityStart >= 0 || hostStart >= 0 ? 1 : 0;
            case X_FORWARDED_FOR -> forwardedFors;
            case X_FORWARDED_PROTO -> forwardedProtos;
            case X_FORWARDED_HOST -> forwardedHosts;
        };
    }

    /** Where the first line's value starts in {@link #raw()}; -1 if there is none. */
    public int valueStart(Copyable header) {
        return switch (header) {
            case HOST -> authorityStart >= 0 ? authorityStart : hostStart;
            case X_FORWARDED_FOR -> forwardedForStart;
            case X_FORWARDED_PROTO -> forwardedProtoStart;
            case X_FORWARDED_HOST -> forwardedHostStart;
        };
    }

    /** Where the first line's value ends in {@link #raw()}. */
    public int valueEnd(Copyable header) {
        return switch (header) {
            case HOST -> authorityStart >= 0 ? authorityEnd : hostEnd;
            case X_FORWARDED_FOR -> forwardedForEnd;
            case X_FORWARDED_PROTO -> forwardedProtoEnd;
            case X_FORWARDED_HOST -> forwardedHostEnd;
        };
    }

    /** Every line's value of a header, joined with ", " as one field (RFC 9110 5.3): the rare case of several. */
    public String joined(Copyable header) {
        KnownHeader known = KnownHeader.valueOf(header.name());
        StringBuilder sb = new StringBuilder();
        HeadWriter.forEachValue(raw, known, v -> {
            if (!v.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(v);
            }
        });
        return sb.toString();
    }

    /** The client's Accept names a JSON type (application/json, application/problem+json, ...). */
    public boolean acceptsJson() {
        if (acceptStart < 0) {
            return false;
        }
        for (int i = acceptStart; i + 4 <= acceptEnd; i++) {
            if (FieldParser.equalsIgnoreCase(raw, i, i + 4, "json")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Where the path begins in {@link #raw()}: the target's start, or in an absolute-form target
     * ({@code http://host/path}) the slash after the authority (the target's end if none).
     */
    int pathStart() {
        if (raw.getByte(targetStart) == '/') {
            return targetStart;
        }
        int scheme = raw.indexOf(targetStart, targetEnd, (byte) ':');
        int authority = scheme < 0 ? targetStart : scheme + 3;
        int slash = authority >= targetEnd ? -1 : raw.indexOf(authority, targetEnd, (byte) '/');
        return slash < 0 ? targetEnd : slash;
    }

    /** Whether the target's path (without its query) is exactly {@code path}; no String is made. */
    public boolean pathEquals(String path) {
        int end = raw.indexOf(targetStart, targetEnd, (byte) '?');
        end = end < 0 ? targetEnd : end;
        if (end - targetStart != path.length()) {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            if (raw.getByte(targetStart + i) != path.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The value of a header (every line joined with ", "), or null; {@code name} in lower case. Not for the hot path. */
    public String header(String name) {
        StringBuilder sb = null;
        int pos = raw.indexOf(0, raw.writerIndex(), (byte) '\n') + 1;
        int end = raw.writerIndex() - 2;
        while (pos < end) {
            int le = raw.indexOf(pos, end + 2, (byte) '\n');
            int colon = raw.indexOf(pos, le, (byte) ':');
            if (colon - pos == name.length() && FieldParser.equalsIgnoreCase(raw, pos, colon, name)) {
                String v = raw.toString(colon + 1, le - 1 - (colon + 1), StandardCharsets.ISO_8859_1).trim();
                sb = sb == null ? new StringBuilder(v) : sb.append(", ").append(v);
            }
            pos = le + 1;
        }
        return sb == null ? null : sb.toString();
    }

    /** The value of a cookie the request carries, or null. Not for the hot path. */
    public String cookie(String name) {
        String[] found = new String[1];
        HeadWriter.forEachValue(raw, KnownHeader.COOKIE, line -> {
            for (String pair : line.split(";")) {
                int eq = pair.indexOf('=');
                if (found[0] == null && eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    String v = pair.substring(eq + 1).trim();
                    found[0] = v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
                }
            }
        });
        return found[0];
    }

    /** The X-Request-Id the client sent (or the one given here), or null. */
    public String requestId() {
        return requestIdStart >= 0 ? raw.toString(requestIdStart, requestIdEnd - requestIdStart, StandardCharsets.ISO_8859_1)
                : givenRequestId;
    }

    /** Gives a request that came without an X-Request-Id one (16 hex digits), which goes to the app too. */
    public void ensureRequestId() {
        if (requestIdStart < 0 && givenRequestId == null) {
            givenRequestId = java.util.HexFormat.of().toHexDigits(java.util.concurrent.ThreadLocalRandom.current().nextLong());
        }
    }

    /** The last release lets go of the head's bytes. */
    @Override
    protected void deallocate() {
        ByteBuf bytes = raw;
        raw = null;
        bytes.release();
        if (recycler != null) {
            recycler.accept(this);
        }
    }

    @Override
    public RequestHead touch(Object hint) {
        if (raw != null) {
            raw.touch(hint);
        }
        return this;
    }

    @Override
    public String toString() {
        return method + " " + target();
    }
}
