package io.cutover.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

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
    /**
     * A request's framing and routing headers: HTTP/1.1 requires exactly one {@code Host}; and no
     * header may be a framing header spelled with an underscore ({@code Transfer_Encoding},
     * {@code Content_Length}), which some application servers read as the dashed name.
     */
    static boolean unambiguous(HttpRequest request) {
        HttpHeaders h = request.headers();
        int hosts = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
                hosts++;
            } else if (isFramingWithUnderscore(name)) {
                return false;
            }
        }
        if (hosts > 1 || hosts == 0 && request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            return false;
        }
        return unambiguous((HttpMessage) request);
    }

    private static boolean isFramingWithUnderscore(CharSequence name) {
        int n = name.length();
        return n == TRANSFER_ENCODING_UNDERSCORE.length() && TRANSFER_ENCODING_UNDERSCORE.contentEqualsIgnoreCase(name)
                || n == CONTENT_LENGTH_UNDERSCORE.length() && CONTENT_LENGTH_UNDERSCORE.contentEqualsIgnoreCase(name);
    }

    private static final AsciiString TRANSFER_ENCODING_UNDERSCORE = AsciiString.cached("transfer_encoding");
    private static final AsciiString CONTENT_LENGTH_UNDERSCORE = AsciiString.cached("content_length");

    static boolean unambiguous(HttpMessage message) {
        if (!message.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return true;    // the usual case, without building a list per message
        }
        List<String> codings = message.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        return codings.size() == 1 && HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(codings.get(0).trim());
    }
}
