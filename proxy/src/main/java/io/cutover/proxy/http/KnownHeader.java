package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The header names the proxy acts on; every other header is carried as bytes. Names are matched
 * case-insensitively straight from the buffer, without making a String.
 */
enum KnownHeader {
    /** Dropped from an absolute-form request, whose target names its host (RFC 9112 3.2.2). */
    HOST("host", Drop.ABSOLUTE_FORM),
    CONTENT_LENGTH("content-length", 0),
    TRANSFER_ENCODING("transfer-encoding", Drop.EVERYWHERE),
    CONNECTION("connection", Drop.EVERYWHERE),
    UPGRADE("upgrade", Drop.EVERYWHERE),
    KEEP_ALIVE("keep-alive", Drop.EVERYWHERE),
    PROXY_CONNECTION("proxy-connection", Drop.EVERYWHERE),
    TE("te", Drop.EVERYWHERE),
    // the forwarding headers this hop sets on every request (see HeadWriter.Forwarding)
    X_FORWARDED_FOR("x-forwarded-for", Drop.EVERYWHERE),
    X_FORWARDED_PROTO("x-forwarded-proto", Drop.EVERYWHERE),
    X_FORWARDED_HOST("x-forwarded-host", Drop.EVERYWHERE),
    X_REAL_IP("x-real-ip", Drop.EVERYWHERE),
    // forwarding headers believed from a trusted proxy only: anyone else's are dropped (Forwarded
    // is then set by this hop)
    FORWARDED("forwarded", Drop.FROM_UNTRUSTED),
    X_FORWARDED_PORT("x-forwarded-port", Drop.FROM_UNTRUSTED),
    X_FORWARDED_PREFIX("x-forwarded-prefix", Drop.FROM_UNTRUSTED),
    X_FORWARDED_SSL("x-forwarded-ssl", Drop.FROM_UNTRUSTED),
    X_FORWARDED_SCHEME("x-forwarded-scheme", Drop.FROM_UNTRUSTED),
    X_CLIENT_IP("x-client-ip", Drop.FROM_UNTRUSTED),
    TRUE_CLIENT_IP("true-client-ip", Drop.FROM_UNTRUSTED),
    // path overrides some frameworks (IIS, Symfony, Laminas) take over the request line: no load
    // balancer in front of cutover sets them, so they are dropped from everyone
    X_ORIGINAL_URL("x-original-url", Drop.FROM_TRUSTED | Drop.FROM_UNTRUSTED),
    X_REWRITE_URL("x-rewrite-url", Drop.FROM_TRUSTED | Drop.FROM_UNTRUSTED),
    // the marks cutover itself puts on the requests it makes (a shadow's copy, a warm-up's GET):
    // an app may treat a marked request as not a user's, so nobody else may set them
    X_CUTOVER_SHADOW("x-cutover-shadow", Drop.FROM_TRUSTED | Drop.FROM_UNTRUSTED),
    X_CUTOVER_WARM_UP("x-cutover-warm-up", Drop.FROM_TRUSTED | Drop.FROM_UNTRUSTED),
    X_REQUEST_ID("x-request-id", 0),
    COOKIE("cookie", 0),
    ACCEPT("accept", 0),
    /** Framing headers spelled with an underscore, which some servers read as the dashed name. */
    TRANSFER_ENCODING_UNDERSCORE("transfer_encoding", 0),
    CONTENT_LENGTH_UNDERSCORE("content_length", 0);

    /**
     * Where a header is not copied as received, as bits: {@link HeadWriter} passes the bits of the
     * head it writes and drops every known header that has one of them.
     */
    static final class Drop {
        /** A response (hop-by-hop headers, and the forwarding headers as before). */
        static final int RESPONSE = 1;
        /** A request from a trusted proxy (a load balancer). */
        static final int FROM_TRUSTED = 2;
        /** A request from anyone else. */
        static final int FROM_UNTRUSTED = 4;
        /** A request with an absolute-form target. */
        static final int ABSOLUTE_FORM = 8;
        static final int EVERYWHERE = RESPONSE | FROM_TRUSTED | FROM_UNTRUSTED;

        private Drop() {
        }
    }

    private static final KnownHeader[][] BY_LENGTH = new KnownHeader[
            java.util.Arrays.stream(values()).mapToInt(h -> h.name.length).max().orElse(0) + 1][];

    static {
        for (int len = 0; len < BY_LENGTH.length; len++) {
            int l = len;
            BY_LENGTH[len] = java.util.Arrays.stream(values()).filter(h -> h.name.length == l)
                    .toArray(KnownHeader[]::new);
        }
    }

    private final byte[] name;
    private final int dropped;

    KnownHeader(String name, int dropped) {
        this.name = name.getBytes(StandardCharsets.US_ASCII);
        this.dropped = dropped;
    }

    /** Whether the header is left out of a head written with these {@link Drop} bits. */
    boolean droppedIn(int where) {
        return (dropped & where) != 0;
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
}
