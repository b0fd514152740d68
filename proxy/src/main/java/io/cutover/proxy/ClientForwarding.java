package io.cutover.proxy;

import io.cutover.proxy.http.HeadWriter;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The forwarding headers of one client connection's requests. From a trusted proxy (a load
 * balancer) the forwarding headers it set are kept, X-Forwarded-For is extended, and X-Real-IP
 * is the rightmost X-Forwarded-For entry that is not itself a trusted proxy. From anyone else
 * they are replaced: a client cannot claim to be someone else, or to have come over https.
 */
final class ClientForwarding implements HeadWriter.Forwarding {
    private static final byte[] XFF = "x-forwarded-for: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REAL_IP = "x-real-ip: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO = "x-forwarded-proto: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROTO_HTTP = "x-forwarded-proto: http\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] XF_HOST = "x-forwarded-host: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

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

    @Override
    public void write(ByteBuf out, RequestHead h) {
        if (!fromTrustedProxy) {
            line(out, XFF, ipBytes);
            line(out, REAL_IP, ipBytes);
            out.writeBytes(PROTO_HTTP);
            if (h.host() != null) {
                line(out, XF_HOST, h.host());
            }
            return;
        }
        String chain = HeadWriter.values(h, "x-forwarded-for");
        line(out, XFF, chain.isBlank() ? ip : chain + ", " + ip);
        line(out, REAL_IP, originalClient(chain));
        String proto = HeadWriter.values(h, "x-forwarded-proto");
        if (proto.isEmpty()) {
            out.writeBytes(PROTO_HTTP);
        } else {
            line(out, PROTO, proto);
        }
        String host = HeadWriter.values(h, "x-forwarded-host");
        if (!host.isEmpty()) {
            line(out, XF_HOST, host);
        } else if (h.host() != null) {
            line(out, XF_HOST, h.host());
        }
    }

    /** The rightmost address in the chain that is not a trusted proxy (the peer itself is one). */
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

    private static void line(ByteBuf out, byte[] name, byte[] value) {
        out.writeBytes(name).writeBytes(value).writeBytes(CRLF);
    }

    private static void line(ByteBuf out, byte[] name, String value) {
        out.writeBytes(name).writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeBytes(CRLF);
    }
}
