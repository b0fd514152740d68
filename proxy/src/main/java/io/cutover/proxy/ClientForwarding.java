package io.cutover.proxy;

import io.cutover.proxy.http.HeadWriter;
import io.cutover.proxy.http.RequestHead;
import io.cutover.proxy.http.RequestHead.Copyable;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The forwarding headers of one client connection's requests. From a trusted proxy (a load
 * balancer) the forwarding headers it set are kept, X-Forwarded-For is extended, and X-Real-IP
 * is the rightmost X-Forwarded-For entry that is not itself a trusted proxy (the walk stops at
 * an entry that is not an IP literal: what is left of it is not believed). From anyone else
 * they are replaced: a client cannot claim to be someone else, or to have come over https;
 * X-Forwarded-For, X-Real-IP, X-Forwarded-Proto, X-Forwarded-Host and Forwarded (RFC 7239) are
 * this hop's, and the other forwarding headers are dropped (see {@link HeadWriter}).
 * Values are copied as bytes; only several lines of one header (rare) take Strings.
 */
final class ClientForwarding implements HeadWriter.Forwarding, ClientAddress {
    private static final byte[] XFF = "x-forwarded-for: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REAL_IP = "x-real-ip: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO = "x-forwarded-proto: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO_HTTP = "x-forwarded-proto: http\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] XF_HOST = "x-forwarded-host: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HOST_PARAM = ";host=\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] COMMA = {',', ' '};

    private final TrustedProxies trusted;
    private String ip;
    private byte[] ipBytes;
    /** {@code forwarded: for=<client>;proto=http}, for a client that is not a trusted proxy. */
    private byte[] forwarded;
    private boolean fromTrustedProxy;

    /**
     * The last client address each event loop made the values above for: connections from the
     * same address (most of a loop's, behind a load balancer) share them, rather than each holding
     * copies for as long as it is open. The values are never changed once made.
     */
    private static final FastThreadLocal<ClientForwarding> LAST = new FastThreadLocal<>();
    /** Where hops are parsed into (the event loop's: a parse runs to its end on the loop). */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[16];
        }
    };

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
        this.fromTrustedProxy = trustedProxy;
        ClientForwarding last = LAST.get();
        if (last != null && last.ip.equals(address)) {
            this.ip = last.ip;
            this.ipBytes = last.ipBytes;
            this.forwarded = last.forwarded;
            return;
        }
        this.ip = address;
        this.ipBytes = address.getBytes(StandardCharsets.US_ASCII);
        // RFC 7239 section 6: an IPv6 address in brackets and quotes; "unknown" is a valid node
        String node = address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
        this.forwarded = ("forwarded: for=" + node + ";proto=http").getBytes(StandardCharsets.US_ASCII);
        LAST.set(this);
    }

    @Override
    public boolean fromTrustedProxy() {
        return fromTrustedProxy;
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
        if (!fromTrustedProxy) {     // a trusted proxy's own Forwarded passes as it sent it
            out.writeBytes(forwarded);
            if (h.count(Copyable.HOST) > 0) {
                out.writeBytes(HOST_PARAM);
                writeQuoted(out, h.raw(), h.valueStart(Copyable.HOST), h.valueEnd(Copyable.HOST));
                out.writeByte('"');
            }
            out.writeBytes(CRLF);
        }
    }

    /** Bytes inside a quoted-string (RFC 9110 5.6.4): a quote or a backslash escaped, so a Host cannot add parameters. */
    private static void writeQuoted(ByteBuf out, ByteBuf raw, int from, int to) {
        int run = from;
        for (int i = from; i < to; i++) {
            byte b = raw.getByte(i);
            if (b == '"' || b == '\\') {
                out.writeBytes(raw, run, i - run).writeByte('\\');
                run = i;
            }
        }
        out.writeBytes(raw, run, to - run);
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
     * trusted proxy (the peer itself is one); if all are, the first; if none, the peer. The walk
     * stops at a hop that is not an IP literal: a hop left of it is not believed, and if no
     * untrusted address was found right of it, the client is the peer. An address in brackets
     * is written without them.
     */
    private void writeOriginalClient(ByteBuf out, ByteBuf raw, int from, int to) {
        int end = to;
        int firstStart = 0;
        int firstEnd = 0;
        while (end > from) {
            int comma = end - 1;
            while (comma >= from && raw.getByte(comma) != ',') {
                comma--;
            }
            int s = skipSpace(raw, comma + 1, end);
            int e = trimSpace(raw, s, end);
            if (e > s) {
                TrustedProxies.Hop hop = trusted.hop(raw, s, e, SCRATCH.get());
                if (hop == TrustedProxies.Hop.NOT_AN_ADDRESS) {
                    break;
                }
                if (raw.getByte(s) == '[') {
                    s++;
                    e--;
                }
                if (hop == TrustedProxies.Hop.UNTRUSTED) {
                    out.writeBytes(raw, s, e - s);
                    return;
                }
                firstStart = s;
                firstEnd = e;
            }
            end = comma;
        }
        if (end <= from && firstEnd > firstStart) {
            out.writeBytes(raw, firstStart, firstEnd - firstStart);
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
        String first = null;
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                continue;
            }
            TrustedProxies.Hop kind = trusted.hop(hop);
            if (kind == TrustedProxies.Hop.NOT_AN_ADDRESS) {
                return ip;
            }
            hop = hop.startsWith("[") ? hop.substring(1, hop.length() - 1) : hop;
            if (kind == TrustedProxies.Hop.UNTRUSTED) {
                return hop;
            }
            first = hop;
        }
        return first == null ? ip : first;
    }

    private static void line(ByteBuf out, byte[] name, String value) {
        out.writeBytes(name).writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeBytes(CRLF);
    }
}
