package io.cutover.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import java.util.List;

/**
 * What the decoder lets through but a proxy must not forward: message framing that two parsers
 * could read two ways (RFC 9112 section 6). The decoder already rejects a Content-Length next to a
 * Transfer-Encoding, duplicate or non-numeric lengths, bare LF and invalid header names.
 */
final class Framing {
    private Framing() {
    }

    /**
     * A Transfer-Encoding must be exactly one "chunked" (any case): "chunked" that is not the
     * final coding, unknown codings ("xchunked", "identity"), or several headers are refused.
     */
    static boolean unambiguous(HttpMessage message) {
        if (!message.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return true;    // the usual case, without building a list per message
        }
        List<String> codings = message.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        return codings.size() == 1 && HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(codings.get(0).trim());
    }
}
