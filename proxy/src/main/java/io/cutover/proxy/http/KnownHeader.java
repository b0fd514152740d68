package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The header names the proxy acts on; every other header is carried as bytes. Names are matched
 * case-insensitively straight from the buffer, without making a String.
 */
enum KnownHeader {
    HOST("host"),
    CONTENT_LENGTH("content-length"),
    TRANSFER_ENCODING("transfer-encoding"),
    CONNECTION("connection"),
    UPGRADE("upgrade"),
    KEEP_ALIVE("keep-alive"),
    PROXY_CONNECTION("proxy-connection"),
    TE("te"),
    X_FORWARDED_FOR("x-forwarded-for"),
    X_FORWARDED_PROTO("x-forwarded-proto"),
    X_FORWARDED_HOST("x-forwarded-host"),
    X_REAL_IP("x-real-ip"),
    X_REQUEST_ID("x-request-id"),
    COOKIE("cookie"),
    ACCEPT("accept"),
    /** Framing headers spelled with an underscore, which some servers read as the dashed name. */
    TRANSFER_ENCODING_UNDERSCORE("transfer_encoding"),
    CONTENT_LENGTH_UNDERSCORE("content_length");

    private static final KnownHeader[][] BY_LENGTH = new KnownHeader[18][];

    static {
        for (int len = 0; len < BY_LENGTH.length; len++) {
            int l = len;
            BY_LENGTH[len] = java.util.Arrays.stream(values()).filter(h -> h.name.length == l)
                    .toArray(KnownHeader[]::new);
        }
    }

    private final byte[] name;

    KnownHeader(String name) {
        this.name = name.getBytes(StandardCharsets.US_ASCII);
    }

    /** The header whose name is {@code len} bytes at {@code at} in {@code buf}, or null for any other. */
    static KnownHeader of(ByteBuf buf, int at, int len) {
        if (len >= BY_LENGTH.length) {
            return null;
        }
        for (KnownHeader h : BY_LENGTH[len]) {
            if (h.matches(buf, at)) {
                return h;
            }
        }
        return null;
    }

    private boolean matches(ByteBuf buf, int at) {
        for (int i = 0; i < name.length; i++) {
            if (HttpChars.lower(buf.getByte(at + i)) != name[i]) {
                return false;
            }
        }
        return true;
    }

    /** Hop-by-hop (RFC 9110 7.6.1): never forwarded as received. */
    boolean hopByHop() {
        return this == CONNECTION || this == KEEP_ALIVE || this == PROXY_CONNECTION || this == TE
                || this == TRANSFER_ENCODING || this == UPGRADE;
    }
}
