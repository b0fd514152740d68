package io.cutover.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Header rewriting at the proxy hop: hop-by-hop headers (RFC 9110 section 7.6.1) are dropped,
 * including those the {@code Connection} header names, and the forwarding headers are set.
 * Message framing (Content-Length, Transfer-Encoding) is re-stated by this hop's encoder.
 */
final class ForwardedHeaders {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private ForwardedHeaders() {
    }

    /** Rewrites a client's request for the backend hop. */
    /** The protocol an upgrade request asks for (Connection: upgrade plus Upgrade), or null. */
    static String upgradeRequested(HttpHeaders h) {
        return h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                ? h.get(HttpHeaderNames.UPGRADE) : null;
    }

    /** The protocol a 101 response switches to, or null. */
    static String upgradeOffered(HttpHeaders h) {
        return h.get(HttpHeaderNames.UPGRADE);
    }

    /** Upgrade is hop-by-hop, but an upgrade must reach the next hop: put it back, alone. */
    static void keepUpgrade(HttpHeaders h, String protocol) {
        h.set(HttpHeaderNames.UPGRADE, protocol);
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    }

    /** The address forwarding headers name for a client connection: its IP, or "unknown". */
    static String clientIp(SocketAddress client) {
        return client instanceof InetSocketAddress isa && isa.getAddress() != null
                ? isa.getAddress().getHostAddress() : "unknown";
    }

    /**
     * Rewrites a client's request for the backend hop. From a trusted proxy (a load balancer) the
     * forwarding headers it set are kept, X-Forwarded-For is extended, and the client IP is the
     * rightmost X-Forwarded-For entry that is not itself a trusted proxy. From anyone else they
     * are replaced: a client cannot claim to be someone else, or to have come over https.
     */
    static void prepareRequest(HttpRequest request, String ip, boolean fromTrustedProxy,
                               TrustedProxies trusted) {
        HttpHeaders h = request.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        removeHopByHop(h);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);

        String forwardedFor = fromTrustedProxy ? String.join(", ", h.getAll(X_FORWARDED_FOR)) : "";
        h.set(X_FORWARDED_FOR, forwardedFor.isBlank() ? ip : forwardedFor + ", " + ip);
        h.set(X_REAL_IP, fromTrustedProxy ? originalClient(forwardedFor, ip, trusted) : ip);
        if (!fromTrustedProxy || !h.contains(X_FORWARDED_PROTO)) {
            h.set(X_FORWARDED_PROTO, HTTP);
        }
        if (!fromTrustedProxy || !h.contains(X_FORWARDED_HOST)) {
            String host = h.get(HttpHeaderNames.HOST);
            if (host != null) {
                h.set(X_FORWARDED_HOST, host);
            } else {
                h.remove(X_FORWARDED_HOST);
            }
        }
    }

    /** The rightmost address in the chain that is not a trusted proxy (the peer itself is one). */
    private static String originalClient(String forwardedFor, String peer, TrustedProxies trusted) {
        String[] hops = forwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (!hop.isEmpty() && !trusted.trusts(hop)) {
                return hop;
            }
        }
        String first = hops.length > 0 ? hops[0].trim() : "";
        return first.isEmpty() ? peer : first;
    }

    /**
     * Rewrites a backend's response for the client hop and states how the client connection
     * continues. A body the backend delimited by closing its connection is re-framed as chunked
     * for an HTTP/1.1 client; an HTTP/1.0 client gets it close-delimited.
     *
     * @return whether the client connection stays open after this response
     */
    static boolean prepareResponse(HttpMessage response, boolean bodyPossible, boolean keepClient,
                                   boolean http10Client) {
        HttpHeaders h = response.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        boolean delimited = chunked || h.contains(HttpHeaderNames.CONTENT_LENGTH) || !bodyPossible;
        removeHopByHop(h);
        boolean keep = keepClient;
        if (chunked || !delimited) {
            if (http10Client) {
                keep = false;   // HTTP/1.0 has no chunked coding: the body ends when we close
            } else {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!keep) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10Client) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return keep;
    }

    private static void removeHopByHop(HttpHeaders h) {
        List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
        for (String value : connection) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !isFramingOrHost(name)) {
                    h.remove(name);
                }
            }
        }
        h.remove(HttpHeaderNames.CONNECTION);
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        h.remove(PROXY_CONNECTION);
        h.remove(HttpHeaderNames.TE);
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        h.remove(HttpHeaderNames.UPGRADE);
    }

    /** A Connection header must not be able to strip what frames the message or routes it. */
    private static boolean isFramingOrHost(String name) {
        return HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name);
    }
}
