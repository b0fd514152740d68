package io.cutover.proxy;

import io.cutover.proxy.http.HeadWriter;
import io.cutover.proxy.http.RequestHead;
import io.cutover.proxy.http.RequestHead.Copyable;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The forwarding headers of one client connection's requests. From a trusted proxy (a load
 * balancer) the forwarding headers it set are kept, X-Forwarded-For is extended, and X-Real-IP
 * is the rightmost X-Forwarded-For entry that is not itself a trusted proxy. From anyone else
 * they are replaced: a client cannot claim to be someone else, or to have come over https.
 * Values are copied as bytes; only several lines of one header (rare) take Strings.
 */
final class ClientForwarding implements HeadWriter.Forwarding, ClientAddress {
    private static final byte[] XFF = "x-forwarded-for: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REAL_IP = "x-real-ip: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO = "x-forwarded-proto: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO_HTTP = "x-forwarded-proto: http\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] XF_HOST = "x-forwarded-host: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] COMMA = {',', ' '};

    private final TrustedProxies trusted;
    private String ip;
    private byte[] ipBytes;
    private boolean fromTrustedProxy;

    ClientForwarding(TrustedProxies trusted, SocketAddress peer) {
        this.trusted = trusted;
        if (peer instanceof InetSocketAddress isa && isa.getAddress() != null) {
            client(isa.getAddress().getHostAddress(), trusted.trusts(isa.getAddress()));
        } else {
            client("unknown", false);
        }
    }

    /** The client is someone else than the peer (a PROXY protocol header named it). */
    void client(String address, boolean trustedProxy) {
        this.ip = address;
        this.ipBytes = address.getBytes(StandardCharsets.US_ASCII);
        this.fromTrustedProxy = trustedProxy;
    }

    /** The client's address, after the trusted-proxy rules (for logs). */
    String clientIp() {
        return ip;
    }

    /** The request's client: from a trusted proxy, the original client its X-Forwarded-For names. */
    @Override
    public String address(RequestHead h) {
        return fromTrustedProxy && given(h, Copyable.X_FORWARDED_FOR) ? originalClient(h.joined(Copyable.X_FORWARDED_FOR)) : ip;
    }

    @Override
    public void write(ByteBuf out, RequestHead h) {
        if (fromTrustedProxy && given(h, Copyable.X_FORWARDED_FOR)) {
            extendChain(out, h);
        } else {
            out.writeBytes(XFF).writeBytes(ipBytes).writeBytes(CRLF);
            out.writeBytes(REAL_IP).writeBytes(ipBytes).writeBytes(CRLF);
        }
        if (fromTrustedProxy && given(h, Copyable.X_FORWARDED_PROTO)) {
            copy(out, PROTO, h, Copyable.X_FORWARDED_PROTO);
        } else {
            out.writeBytes(PROTO_HTTP);
        }
        if (fromTrustedProxy && given(h, Copyable.X_FORWARDED_HOST)) {
            copy(out, XF_HOST, h, Copyable.X_FORWARDED_HOST);
        } else if (h.count(Copyable.HOST) > 0) {
            copy(out, XF_HOST, h, Copyable.HOST);
        }
    }

    /** The header is there with a value that is not empty (an empty one counts as absent). */
    private static boolean given(RequestHead h, Copyable header) {
        int n = h.count(header);
        return n == 1 ? h.valueEnd(header) > h.valueStart(header) : n > 1 && !h.joined(header).isEmpty();
    }

    /** X-Forwarded-For from a trusted proxy, this client appended; X-Real-IP its original client. */
    private void extendChain(ByteBuf out, RequestHead h) {
        if (h.count(Copyable.X_FORWARDED_FOR) == 1) {
            ByteBuf raw = h.raw();
            int from = h.valueStart(Copyable.X_FORWARDED_FOR);
            int to = h.valueEnd(Copyable.X_FORWARDED_FOR);
            out.writeBytes(XFF).writeBytes(raw, from, to - from).writeBytes(COMMA).writeBytes(ipBytes).writeBytes(CRLF);
            out.writeBytes(REAL_IP);
            writeOriginalClient(out, raw, from, to);
            out.writeBytes(CRLF);
        } else {
            String chain = h.joined(Copyable.X_FORWARDED_FOR);
            line(out, XFF, chain + ", " + ip);
            line(out, REAL_IP, originalClient(chain));
        }
    }

    /** A header line with a value copied from the request (all its lines joined, if several). */
    private static void copy(ByteBuf out, byte[] name, RequestHead h, Copyable header) {
        if (h.count(header) == 1) {
            int from = h.valueStart(header);
            out.writeBytes(name).writeBytes(h.raw(), from, h.valueEnd(header) - from).writeBytes(CRLF);
        } else {
            line(out, name, h.joined(header));
        }
    }

    /**
     * The rightmost hop of the X-Forwarded-For chain at {@code from}..{@code to} that is not a
     * trusted proxy (the peer itself is one); if all are, the first; if none, the peer.
     */
    private void writeOriginalClient(ByteBuf out, ByteBuf raw, int from, int to) {
        int end = to;
        while (end > from) {
            int comma = end - 1;
            while (comma >= from && raw.getByte(comma) != ',') {
                comma--;
            }
            int s = skipSpace(raw, comma + 1, end);
            int e = trimSpace(raw, s, end);
            if (e > s && !trusted.trusts(raw, s, e)) {
                out.writeBytes(raw, s, e - s);
                return;
            }
            end = comma;
        }
        int firstEnd = raw.indexOf(from, to, (byte) ',');
        int first = skipSpace(raw, from, firstEnd < 0 ? to : firstEnd);
        firstEnd = trimSpace(raw, first, firstEnd < 0 ? to : firstEnd);
        if (firstEnd > first) {
            out.writeBytes(raw, first, firstEnd - first);
        } else {
            out.writeBytes(ipBytes);
        }
    }

    /** The first index from {@code from} that is not a space or a tab. */
    private static int skipSpace(ByteBuf raw, int from, int to) {
        while (from < to && ows(raw.getByte(from))) {
            from++;
        }
        return from;
    }

    /** The end of {@code from}..{@code to} without the spaces and tabs it ends with. */
    private static int trimSpace(ByteBuf raw, int from, int to) {
        while (to > from && ows(raw.getByte(to - 1))) {
            to--;
        }
        return to;
    }

    private static boolean ows(byte b) {
        return b == ' ' || b == '\t';
    }

    /** As {@link #writeOriginalClient}, on a chain joined from several lines. */
    private String originalClient(String chain) {
        String[] hops = chain.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (!hop.isEmpty() && !trusted.trusts(hop)) {
                return hop;
            }
        }
        String first = hops.length > 0 ? hops[0].trim() : "";
        return first.isEmpty() ? ip : first;
    }

    private static void line(ByteBuf out, byte[] name, String value) {
        out.writeBytes(name).writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeBytes(CRLF);
    }
}
