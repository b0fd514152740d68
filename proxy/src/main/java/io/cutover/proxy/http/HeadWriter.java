package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Writes the heads a proxy hop sends, once, into one pooled buffer: the received head's header
 * lines are copied as bytes, except hop-by-hop headers (RFC 9110 7.6.1: Connection and every
 * header it names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade), which are
 * dropped, and the forwarding headers, which are set (see {@link Forwarding}) or, from a client
 * that is not a trusted proxy, dropped (see {@link KnownHeader}). Framing is restated by this hop.
 */
public final class HeadWriter {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STATUS11 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UPGRADE = "connection: upgrade\r\nupgrade: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HOST = "host: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_ID = "x-request-id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CANARY_COOKIE = "set-cookie: cutover-canary=".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CANARY_COOKIE_ATTRIBUTES = "; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private HeadWriter() {
    }

    /** Where a request comes from, for the forwarding headers. */
    public interface Forwarding {
        /**
         * Whether the request comes from a trusted proxy (a load balancer), whose forwarding
         * headers pass (Forwarded, X-Forwarded-Port, -Prefix, -Ssl, -Scheme, X-Client-IP,
         * True-Client-IP); anyone else's are dropped.
         */
        boolean fromTrustedProxy();

        /**
         * Writes X-Forwarded-For, X-Real-IP, X-Forwarded-Proto and X-Forwarded-Host (and whatever
         * else this hop adds) into {@code out}, given the request's head.
         */
        void write(ByteBuf out, RequestHead head);
    }

    /**
     * The request as the backend gets it: HTTP/1.1, the client's headers minus hop-by-hop and
     * forwarding ones, its framing, a Host (an absolute-form target's authority, which wins over
     * the Host header; the backend's, for an HTTP/1.0 request without either),
     * the forwarding headers, and Upgrade when it asks for one; its path without its first
     * {@code strip} bytes (the app's prefix) when {@code strip > 0}.
     */
    public static ByteBuf request(ByteBufAllocator alloc, RequestHead h, int strip, String backendHost,
                                  Forwarding forwarding) {
        ByteBuf raw = h.raw;
        ByteBuf out = alloc.directBuffer(raw.readableBytes() + 256);
        out.writeCharSequence(h.method, StandardCharsets.US_ASCII);
        out.writeByte(' ');
        int from = h.targetStart;
        if (strip > 0) {
            int path = h.pathStart();     // after "http://host" in an absolute-form target
            out.writeBytes(raw, from, path - from);
            from = path + strip;        // the app's prefix: "/api/x?q" goes as "/x?q", "/api" as "/"
            if (from == h.targetEnd || raw.getByte(from) != '/') {
                out.writeByte('/');
            }
        }
        out.writeBytes(raw, from, h.targetEnd - from);
        out.writeBytes(HTTP11);
        int drop = forwarding.fromTrustedProxy() ? KnownHeader.Drop.FROM_TRUSTED : KnownHeader.Drop.FROM_UNTRUSTED;
        copyFields(raw, out, h.connectionNamesOthers, h.authorityStart < 0 ? drop : drop | KnownHeader.Drop.ABSOLUTE_FORM);
        if (h.chunked) {
            out.writeBytes(CHUNKED);
        }
        if (h.authorityStart >= 0) {      // the target's host, not the Host header (RFC 9112 3.2.2)
            out.writeBytes(HOST).writeBytes(raw, h.authorityStart, h.authorityEnd - h.authorityStart).writeBytes(CRLF);
        } else if (h.hostStart < 0) {
            out.writeBytes(HOST).writeCharSequence(backendHost, StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        forwarding.write(out, h);
        if (h.givenRequestId != null) {
            out.writeBytes(REQUEST_ID).writeCharSequence(h.givenRequestId, StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        }
        String upgrade = h.upgrade();
        if (upgrade != null) {
            out.writeBytes(UPGRADE).writeCharSequence(upgrade, StandardCharsets.ISO_8859_1);
            out.writeBytes(CRLF);
        }
        out.writeBytes(CRLF);
        return out;
    }

    /**
     * The response as the client gets it: HTTP/1.1 and the backend's status, its headers minus
     * hop-by-hop ones, and framing restated for this client: chunked for an HTTP/1.1 client when
     * the backend chunked or delimits by closing, nothing for an HTTP/1.0 client (it reads to the
     * close).
     *
     * @param keepClient    the client connection stays open after this response
     * @param http10Client  the client spoke HTTP/1.0
     */
    public static ByteBuf response(ByteBufAllocator alloc, ResponseHead h, boolean keepClient, boolean http10Client) {
        return response(alloc, h, keepClient, http10Client, null);
    }

    /**
     * As {@link #response(ByteBufAllocator, ResponseHead, boolean, boolean)}, also giving the client
     * its canary cookie (the signed value) when {@code canaryCookie} is not null.
     */
    public static ByteBuf response(ByteBufAllocator alloc, ResponseHead h, boolean keepClient, boolean http10Client,
                                   String canaryCookie) {
        ByteBuf raw = h.raw;
        ByteBuf out = alloc.directBuffer(raw.readableBytes() + 64);
        out.writeBytes(STATUS11);
        out.writeBytes(raw, h.statusStart, h.lineEnd - h.statusStart);
        out.writeBytes(CRLF);
        copyFields(raw, out, h.connectionNamesOthers);
        if (h.status == 101) {
            out.writeBytes(UPGRADE).writeCharSequence(h.upgrade(), StandardCharsets.ISO_8859_1);
            out.writeBytes(CRLF).writeBytes(CRLF);
            return out;
        }
        if (!http10Client && !h.informational() && (h.chunked || h.framing == Framing.UNTIL_CLOSE)) {
            out.writeBytes(CHUNKED);
        }
        if (!h.informational()) {
            if (!keepClient) {
                out.writeBytes(CLOSE);
            } else if (http10Client) {
                out.writeBytes(KEEP_ALIVE);
            }
            if (canaryCookie != null) {
                out.writeBytes(CANARY_COOKIE).writeCharSequence(canaryCookie, StandardCharsets.US_ASCII);
                out.writeBytes(CANARY_COOKIE_ATTRIBUTES);
            }
        }
        out.writeBytes(CRLF);
        return out;
    }

    /** Copies the header lines that pass this hop in a response, as bytes. */
    private static void copyFields(ByteBuf raw, ByteBuf out, boolean connectionNamesOthers) {
        copyFields(raw, out, connectionNamesOthers, KnownHeader.Drop.RESPONSE);
    }

    /**
     * Copies the header lines that pass this hop, as bytes: not those named in Connection, nor
     * a known header dropped in {@code drop} (the {@link KnownHeader.Drop} bits of this head).
     */
    private static void copyFields(ByteBuf raw, ByteBuf out, boolean connectionNamesOthers, int drop) {
        Set<String> named = connectionNamesOthers ? connectionNames(raw) : Set.of();
        int pos = raw.indexOf(0, raw.writerIndex(), (byte) '\n') + 1;
        int end = raw.writerIndex() - 2;
        while (pos < end) {
            int le = raw.indexOf(pos, end + 2, (byte) '\n');
            int colon = raw.indexOf(pos, le, (byte) ':');
            KnownHeader known = KnownHeader.of(raw, pos, colon - pos);
            boolean pass;
            if (known != null) {
                pass = !known.droppedIn(drop);
            } else {
                pass = named.isEmpty() || !named.contains(raw.toString(pos, colon - pos, StandardCharsets.US_ASCII)
                        .toLowerCase(Locale.ROOT));
            }
            if (pass) {
                out.writeBytes(raw, pos, le + 1 - pos);
            }
            pos = le + 1;
        }
    }

    /** The header names the Connection header lists (lower case), framing and Host aside: those it cannot strip. */
    private static Set<String> connectionNames(ByteBuf raw) {
        Set<String> names = new HashSet<>();
        forEachValue(raw, KnownHeader.CONNECTION, value -> {
            for (String token : value.split(",")) {
                String name = token.trim().toLowerCase(Locale.ROOT);
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        });
        names.removeAll(Set.of("content-length", "transfer-encoding", "host", "close", "keep-alive", "upgrade"));
        return names;
    }

    /** Calls {@code each} with the (trimmed) value of every line of a header, in order. */
    static void forEachValue(ByteBuf raw, KnownHeader header, java.util.function.Consumer<String> each) {
        int pos = raw.indexOf(0, raw.writerIndex(), (byte) '\n') + 1;
        int end = raw.writerIndex() - 2;
        while (pos < end) {
            int le = raw.indexOf(pos, end + 2, (byte) '\n');
            int colon = raw.indexOf(pos, le, (byte) ':');
            if (KnownHeader.of(raw, pos, colon - pos) == header) {
                each.accept(raw.toString(colon + 1, le - 1 - (colon + 1), StandardCharsets.ISO_8859_1).trim());
            }
            pos = le + 1;
        }
    }

}
