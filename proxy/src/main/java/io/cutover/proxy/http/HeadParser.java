package io.cutover.proxy.http;

import io.cutover.proxy.http.HttpParseException.Kind;
import io.netty.buffer.ByteBuf;

/**
 * The one HTTP/1.1 head parser (RFC 9112), strict: lines end in CRLF (a bare LF or CR is an
 * error), tokens are tokens, no space before a colon, no obs-fold, no control characters in
 * values, one unambiguous framing. It first finds where a head ends ({@link #headLength},
 * incremental across reads, enforcing the size limits), then parses the whole head at once
 * ({@link #parseRequest}, {@link #parseResponse}) and keeps only what the proxy needs.
 */
public final class HeadParser {
    private static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
            "CONNECT"};

    private final boolean requests;
    private final int maxLine;
    private final int maxHeaderSize;
    private int scanned;
    private int lineStart;
    private int firstLineLength = -1;

    /**
     * @param requests      request heads (limits answer 414 and 431) or response heads (any excess is malformed)
     * @param maxLine       longest request or status line, in bytes
     * @param maxHeaderSize largest header section, in bytes
     */
    public HeadParser(boolean requests, int maxLine, int maxHeaderSize) {
        this.requests = requests;
        this.maxLine = maxLine;
        this.maxHeaderSize = maxHeaderSize;
    }

    /** Forgets how far it looked: the next head starts afresh. */
    public void reset() {
        scanned = 0;
        lineStart = 0;
        firstLineLength = -1;
    }

    /**
     * The length of the head starting at {@code buf}'s reader index, through its empty line; -1
     * while it is incomplete. Looks at each byte once across calls (until {@link #reset}).
     */
    public int headLength(ByteBuf buf) throws HttpParseException {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        for (int i = start + scanned; i < end; i++) {
            if (buf.getByte(i) != '\n') {
                continue;
            }
            int rel = i - start;
            if (rel == lineStart || buf.getByte(i - 1) != '\r') {
                throw new HttpParseException(Kind.MALFORMED, "a line ends in a bare LF");
            }
            if (firstLineLength < 0) {
                firstLineLength = rel + 1;
                checkLine(firstLineLength - 2);
            } else if (rel == lineStart + 1) {
                reset();
                return rel + 1;
            }
            lineStart = rel + 1;
            checkHeaders(rel + 1);
        }
        scanned = end - start;
        // a partial line may end in the CR of its CRLF: that byte is not held against it yet
        if (firstLineLength < 0) {
            checkLine(scanned - 1);
        } else {
            checkHeaders(scanned - 1);
        }
        return -1;
    }

    private void checkLine(int length) throws HttpParseException {
        if (length > maxLine) {
            throw new HttpParseException(requests ? Kind.LINE_TOO_LONG : Kind.MALFORMED,
                    (requests ? "request" : "status") + " line over " + maxLine + " bytes");
        }
    }

    private void checkHeaders(int upTo) throws HttpParseException {
        if (upTo - firstLineLength > maxHeaderSize) {
            throw new HttpParseException(requests ? Kind.HEAD_TOO_LARGE : Kind.MALFORMED,
                    "header section over " + maxHeaderSize + " bytes");
        }
    }

    /** Parses a whole request head ({@code raw} holds exactly it, from index 0). */
    public static RequestHead parseRequest(ByteBuf raw) throws HttpParseException {
        return parseRequest(new RequestHead(), raw, null);
    }

    /**
     * Parses a whole request head into {@code into} (one its last release handed back; null: a
     * new one); {@code recycle} gets it back after its last release.
     */
    public static RequestHead parseRequest(RequestHead into, ByteBuf raw, java.util.function.Consumer<RequestHead> recycle)
            throws HttpParseException {
        RequestHead h = (into == null ? new RequestHead() : into).reset(raw, recycle);
        int lineEnd = FieldParser.lineEnd(raw, 0);
        int i = 0;
        while (i < lineEnd && HttpChars.tchar(raw.getByte(i))) {
            i++;
        }
        if (i == 0 || raw.getByte(i) != ' ') {
            throw malformed("malformed request line");
        }
        h.method = method(raw, i);
        int t = i + 1;
        int j = t;
        while (j < lineEnd && HttpChars.target(raw.getByte(j))) {
            j++;
        }
        if (j == t || raw.getByte(j) != ' ') {
            throw malformed("malformed request target");
        }
        h.targetStart = t;
        h.targetEnd = j;
        authority(raw, h);
        h.http10 = version(raw, j + 1, lineEnd);
        if ("CONNECT".equals(h.method)) {
            throw new HttpParseException(Kind.METHOD_NOT_ALLOWED, "CONNECT is not forwarded");
        }
        HeadFields f = h;
        int end = FieldParser.parseFields(raw, lineEnd + 2, f, true);
        if (end != raw.readableBytes()) {
            throw malformed("bytes after the head");
        }
        if (f.hosts > 1 || f.hosts == 0 && !h.http10) {
            throw malformed(f.hosts == 0 ? "no Host" : "more than one Host");
        }
        if (f.transferEncodings > 0) {
            if (f.contentLengths > 0 || f.transferEncodings > 1 || !f.chunked || h.http10) {
                throw malformed("ambiguous framing: Transfer-Encoding must be one chunked, alone, in HTTP/1.1");
            }
        } else if (f.contentLengths > 1) {
            throw malformed("more than one Content-Length");
        }
        return h;
    }

    /**
     * Parses a whole response head.
     *
     * @param toHeadRequest the request was a HEAD: the response has no body whatever it says
     */
    public static ResponseHead parseResponse(ByteBuf raw, boolean toHeadRequest) throws HttpParseException {
        return parseResponse(new ResponseHead(), raw, toHeadRequest, null);
    }

    /** As {@link #parseResponse(ByteBuf, boolean)}, into a head to reuse (see {@link #parseRequest(RequestHead, ByteBuf, java.util.function.Consumer)}). */
    public static ResponseHead parseResponse(ResponseHead into, ByteBuf raw, boolean toHeadRequest,
                                             java.util.function.Consumer<ResponseHead> recycle) throws HttpParseException {
        ResponseHead h = (into == null ? new ResponseHead() : into).reset(raw, recycle);
        int lineEnd = FieldParser.lineEnd(raw, 0);
        if (lineEnd < 12 || raw.getByte(8) != ' ') {
            throw malformed("malformed status line");
        }
        h.http10 = version(raw, 0, 8);
        int status = 0;
        for (int i = 9; i < 12; i++) {
            byte b = raw.getByte(i);
            if (b < '0' || b > '9') {
                throw malformed("malformed status code");
            }
            status = status * 10 + b - '0';
        }
        if (status < 100 || lineEnd > 12 && raw.getByte(12) != ' ') {
            throw malformed("malformed status line");
        }
        for (int i = 13; i < lineEnd; i++) {
            if (!HttpChars.fieldValue(raw.getByte(i))) {
                throw malformed("control character in the reason phrase");
            }
        }
        h.status = status;
        h.statusStart = 9;
        h.lineEnd = lineEnd;
        HeadFields f = h;
        int end = FieldParser.parseFields(raw, lineEnd + 2, f, false);
        if (end != raw.readableBytes()) {
            throw malformed("bytes after the head");
        }
        if (f.transferEncodings > 0 && (f.contentLengths > 0 || f.transferEncodings > 1 || !f.chunked)) {
            throw malformed("ambiguous response framing");
        }
        if (f.contentLengths > 1) {
            throw malformed("more than one Content-Length");
        }
        if (toHeadRequest || status < 200 || status == 204 || status == 304) {
            h.framing = Framing.NONE;
        } else if (h.chunked) {
            h.framing = Framing.CHUNKED;
        } else if (f.contentLengths == 1) {
            h.framing = f.contentLength == 0 ? Framing.NONE : Framing.LENGTH;
        } else {
            h.framing = Framing.UNTIL_CLOSE;
        }
        return h;
    }

    /**
     * Finds an absolute-form target's authority ({@code scheme://[userinfo@]host[:port]}), which
     * names the request's host (RFC 9112 3.2.2); the userinfo is not part of it. One without a
     * host is refused (RFC 9110 4.2.1). Any other target is left as it is.
     */
    private static void authority(ByteBuf raw, RequestHead h) throws HttpParseException {
        int end = h.targetEnd;
        int i = h.targetStart;
        if (!alpha(raw.getByte(i))) {
            return;
        }
        do {
            i++;
        } while (i < end && (alpha(raw.getByte(i)) || raw.getByte(i) >= '0' && raw.getByte(i) <= '9'
                || raw.getByte(i) == '+' || raw.getByte(i) == '-' || raw.getByte(i) == '.'));
        if (end - i < 3 || raw.getByte(i) != ':' || raw.getByte(i + 1) != '/' || raw.getByte(i + 2) != '/') {
            return;
        }
        int start = i + 3;
        int stop = start;
        while (stop < end && raw.getByte(stop) != '/' && raw.getByte(stop) != '?' && raw.getByte(stop) != '#') {
            if (raw.getByte(stop) == '@') {
                start = stop + 1;
            }
            stop++;
        }
        if (start == stop || raw.getByte(start) == ':') {
            throw malformed("an absolute-form target without a host");
        }
        h.authorityStart = start;
        h.authorityEnd = stop;
    }

    private static boolean alpha(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z';
    }

    /** "HTTP/1.1" (false) or "HTTP/1.0" (true) exactly, at {@code from} up to {@code to}. */
    private static boolean version(ByteBuf raw, int from, int to) throws HttpParseException {
        if (to - from != 8 || raw.getByte(from) != 'H' || raw.getByte(from + 1) != 'T' || raw.getByte(from + 2) != 'T'
                || raw.getByte(from + 3) != 'P' || raw.getByte(from + 4) != '/' || raw.getByte(from + 5) != '1'
                || raw.getByte(from + 6) != '.') {
            throw malformed("not HTTP/1.0 or HTTP/1.1");
        }
        byte minor = raw.getByte(from + 7);
        if (minor != '0' && minor != '1') {
            throw malformed("not HTTP/1.0 or HTTP/1.1");
        }
        return minor == '0';
    }

    private static String method(ByteBuf raw, int len) {
        for (String m : METHODS) {
            if (m.length() == len && startsWith(raw, m)) {
                return m;
            }
        }
        return raw.toString(0, len, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static boolean startsWith(ByteBuf raw, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (raw.getByte(i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static HttpParseException malformed(String why) {
        return new HttpParseException(Kind.MALFORMED, why);
    }
}
