package io.cutover.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeadParserTest {
    private final List<ByteBuf> made = new ArrayList<>();

    @AfterEach
    void release() {
        made.forEach(b -> {
            if (b.refCnt() > 0) {
                b.release();
            }
        });
    }

    private ByteBuf bytes(String s) {
        ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
        made.add(b);
        return b;
    }

    private RequestHead request(String head) throws HttpParseException {
        return HeadParser.parseRequest(bytes(head));
    }

    @Test
    void takesWhatTheProxyNeedsFromARequest() throws Exception {
        RequestHead h = request("POST /a?b=c HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 12\r\n"
                + "Connection: keep-alive, X-Trace\r\nX-Request-Id: r-1\r\n\r\n");
        {
            assertEquals("POST", h.method());
            assertEquals("/a?b=c", h.target());
            assertEquals("shop.example", h.host());
            assertEquals(Framing.LENGTH, h.framing());
            assertEquals(12, h.contentLength());
            assertTrue(h.keepAlive());
            assertTrue(h.connectionNamesOthers);
            assertEquals("r-1", h.requestId());
            assertFalse(h.idempotent());
        }
    }

    @Test
    void anAbsoluteFormTargetNamesTheRequestsHostOverTheHostHeader() throws Exception {
        RequestHead h = request("GET http://a.test:8080/x?y=http://b.test HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        assertEquals("a.test:8080", h.targetHost());
        assertEquals("evil.example", h.host());
        assertEquals("b.test", request("GET https://u:p@b.test HTTP/1.1\r\nHost: x\r\n\r\n").targetHost());
        assertEquals("[::1]:80", request("GET http://[::1]:80?q HTTP/1.1\r\nHost: x\r\n\r\n").targetHost());
        assertEquals("c.test", request("GET http://c.test HTTP/1.0\r\n\r\n").targetHost());
        assertEquals("shop", request("GET /x?next=http://evil.example/ HTTP/1.1\r\nHost: shop\r\n\r\n").targetHost());
        assertEquals("shop", request("GET x?next=http://evil.example/ HTTP/1.1\r\nHost: shop\r\n\r\n").targetHost(),
                "not a scheme: not absolute-form");
        assertNull(request("GET / HTTP/1.0\r\n\r\n").targetHost());
    }

    @Test
    void anAbsoluteFormTargetWithoutAHostIsMalformed() {
        for (String target : new String[] {"http:///x", "http://", "http://u@/x", "http://:80/x", "http://?q"}) {
            HttpParseException e = assertThrows(HttpParseException.class,
                    () -> request("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n"), target);
            assertEquals(HttpParseException.Kind.MALFORMED, e.kind(), target);
        }
    }

    @Test
    void keepAliveFollowsTheVersion() throws Exception {
        assertFalse(request("GET / HTTP/1.0\r\n\r\n").keepAlive());
        assertTrue(request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive());
        assertFalse(request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keepAlive());
        assertTrue(request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keepAlive());
    }

    @Test
    void anUpgradeNeedsConnectionUpgradeAndHttp11() throws Exception {
        assertEquals("websocket", request("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                .upgrade());
        assertNull(request("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").upgrade());
    }

    @Test
    void chunkedInAnyCaseIsChunked() throws Exception {
        assertEquals(Framing.CHUNKED, request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChunKed \r\n\r\n").framing());
    }

    @Test
    void refusesWhatTwoParsersCouldReadTwoWays() {
        for (String bad : new String[] {
                "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",                                    // obs-fold
                "GET / HTTP/1.1\r\nHost : a\r\n\r\n",                                        // space before colon
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n\r\n",
                "GET / HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX: \u0001\r\n\r\n",
                "GET /\u007f HTTP/1.1\r\nHost: a\r\n\r\n",
                "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET / http/1.1\r\nHost: a\r\n\r\n"}) {
            HttpParseException e = assertThrows(HttpParseException.class, () -> request(bad), bad);
            assertEquals(HttpParseException.Kind.MALFORMED, e.kind(), bad);
        }
        assertEquals(HttpParseException.Kind.METHOD_NOT_ALLOWED, assertThrows(HttpParseException.class,
                () -> request("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n")).kind());
    }

    @Test
    void findsTheEndOfAHeadHoweverItArrives() throws Exception {
        String head = "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n";
        HeadParser parser = new HeadParser(true, 100, 100);
        ByteBuf buf = Unpooled.buffer();
        made.add(buf);
        int found = -1;
        for (int i = 0; i < head.length() && found < 0; i++) {
            buf.writeByte(head.charAt(i));
            found = parser.headLength(buf);
        }
        assertEquals(head.length(), found);
        assertEquals(-1, new HeadParser(true, 100, 100).headLength(bytes("GET / HTTP/1.1\r\nHost: a\r\n")));
    }

    @Test
    void limitsAnswer414And431ForRequestsAndMalformedForResponses() {
        assertEquals(HttpParseException.Kind.LINE_TOO_LONG, assertThrows(HttpParseException.class,
                () -> new HeadParser(true, 10, 100).headLength(bytes("GET /0123456789 HTTP/1.1\r\n"))).kind());
        assertEquals(HttpParseException.Kind.LINE_TOO_LONG, assertThrows(HttpParseException.class,
                () -> new HeadParser(true, 10, 100).headLength(bytes("GET /0123456789"))).kind());
        assertEquals(HttpParseException.Kind.HEAD_TOO_LARGE, assertThrows(HttpParseException.class,
                () -> new HeadParser(true, 100, 10).headLength(bytes("GET / HTTP/1.1\r\nX-Long: 0123456789\r\n"))).kind());
        assertEquals(HttpParseException.Kind.MALFORMED, assertThrows(HttpParseException.class,
                () -> new HeadParser(false, 100, 10).headLength(bytes("HTTP/1.1 200 OK\r\nX-Long: 0123456789\r\n"))).kind());
        assertEquals(HttpParseException.Kind.MALFORMED, assertThrows(HttpParseException.class,
                () -> new HeadParser(true, 100, 100).headLength(bytes("GET / HTTP/1.1\nHost: a\n\n"))).kind());
    }

    @Test
    void aResponsesFramingFollowsItsStatusAndTheRequest() throws Exception {
        assertEquals(Framing.LENGTH, HeadParser.parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"), false).framing());
        assertEquals(Framing.NONE, HeadParser.parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"), true).framing());
        assertEquals(Framing.NONE, HeadParser.parseResponse(bytes("HTTP/1.1 204 No Content\r\n\r\n"), false).framing());
        assertEquals(Framing.NONE, HeadParser.parseResponse(bytes("HTTP/1.1 304 Not Modified\r\n\r\n"), false).framing());
        assertEquals(Framing.UNTIL_CLOSE, HeadParser.parseResponse(bytes("HTTP/1.0 200 OK\r\n\r\n"), false).framing());
        assertEquals(Framing.CHUNKED,
                HeadParser.parseResponse(bytes("HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n"), false).framing());
        ResponseHead info = HeadParser.parseResponse(bytes("HTTP/1.1 100 Continue\r\n\r\n"), false);
        assertTrue(info.informational());
        assertFalse(HeadParser.parseResponse(bytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), false).keepAlive());
        assertThrows(HttpParseException.class,
                () -> HeadParser.parseResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"), false));
        assertThrows(HttpParseException.class, () -> HeadParser.parseResponse(bytes("HTTP/1.1 2x0 OK\r\n\r\n"), false));
    }

    private static HttpParseException.Kind kindOf(org.junit.jupiter.api.function.Executable parse) {
        return assertThrows(HttpParseException.class, parse).kind();
    }

    @Test
    void aRequestLineOfExactlyTheLimitPassesAndOneByteMoreIs414() throws Exception {
        String line = "GET /abcdef HTTP/1.1";                     // 20 bytes before its CRLF
        assertEquals(-1, new HeadParser(true, 20, 100).headLength(bytes(line + "\r\n")));
        assertEquals(-1, new HeadParser(true, 20, 100).headLength(bytes(line + "\r")), "the CR of the CRLF is not held against it");
        HttpParseException e = assertThrows(HttpParseException.class,
                () -> new HeadParser(true, 19, 100).headLength(bytes(line + "\r\n")));
        assertEquals(HttpParseException.Kind.LINE_TOO_LONG, e.kind());
        assertTrue(e.getMessage().contains("request line"), e.getMessage());
        assertEquals(HttpParseException.Kind.LINE_TOO_LONG, kindOf(() -> new HeadParser(true, 18, 100).headLength(bytes(line))),
                "a partial line may yet end in a CR: its last byte is not counted");
        HttpParseException status = assertThrows(HttpParseException.class,
                () -> new HeadParser(false, 10, 100).headLength(bytes("HTTP/1.1 200 OK\r\n")));
        assertEquals(HttpParseException.Kind.MALFORMED, status.kind());
        assertTrue(status.getMessage().contains("status line"), status.getMessage());
    }

    @Test
    void aHeaderSectionOfExactlyTheLimitPassesAndOneByteMoreIs431() throws Exception {
        String line = "GET / HTTP/1.1\r\n";
        String fields = "Host: a\r\nX: 12\r\n";                    // 16 bytes, the end's CRLF not counted
        String head = line + fields + "\r\n";
        assertEquals(head.length(), new HeadParser(true, 20, 16).headLength(bytes(head)));
        assertEquals(HttpParseException.Kind.HEAD_TOO_LARGE, kindOf(() -> new HeadParser(true, 20, 15).headLength(bytes(head))));
        // counted from the end of the request line, not from the start of the buffer
        assertEquals(-1, new HeadParser(true, 100, 16).headLength(bytes(line + fields)));
        assertEquals(HttpParseException.Kind.HEAD_TOO_LARGE,
                kindOf(() -> new HeadParser(true, 100, 15).headLength(bytes(line + fields))),
                "a whole header line over the limit");
        assertEquals(HttpParseException.Kind.HEAD_TOO_LARGE,
                kindOf(() -> new HeadParser(true, 100, 15).headLength(bytes(line + "Host: a\r\nX: 12345678"))),
                "a partial header line over the limit");
        assertEquals(-1, new HeadParser(true, 100, 16).headLength(bytes(line + "Host: a\r\nX: 1234\r")),
                "the CR of a partial line's CRLF is not held against it");
    }

    @Test
    void theLimitsHoldForAHeadThatArrivesInPieces() throws Exception {
        String head = "GET / HTTP/1.1\r\nHost: a\r\nX: 12\r\n\r\n";
        HeadParser fits = new HeadParser(true, 14, 16);
        ByteBuf buf = Unpooled.buffer();
        made.add(buf);
        int found = -1;
        for (int i = 0; i < head.length(); i++) {
            buf.writeByte(head.charAt(i));
            found = fits.headLength(buf);
        }
        assertEquals(head.length(), found);
        for (HeadParser tooSmall : new HeadParser[] {new HeadParser(true, 13, 16), new HeadParser(true, 14, 15)}) {
            ByteBuf piecewise = Unpooled.buffer();
            made.add(piecewise);
            assertThrows(HttpParseException.class, () -> {
                for (int i = 0; i < head.length(); i++) {
                    piecewise.writeByte(head.charAt(i));
                    tooSmall.headLength(piecewise);
                }
            });
        }
    }

    @Test
    void aHeadIsMeasuredFromTheReaderIndexAndTheNextHeadStartsAfresh() throws Exception {
        String first = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
        String second = "GET /bb HTTP/1.1\r\nHost: b\r\nX: y\r\n\r\n";
        HeadParser parser = new HeadParser(true, 100, 100);
        ByteBuf buf = bytes(first + second);
        assertEquals(first.length(), parser.headLength(buf));
        buf.skipBytes(first.length());
        assertEquals(second.length(), parser.headLength(buf));
        ByteBuf afterJunk = bytes("XXXX" + second);
        afterJunk.skipBytes(4);
        assertEquals(second.length(), new HeadParser(true, 100, 100).headLength(afterJunk));
        ByteBuf bareLf = bytes("XX\r\n" + "GET / HTTP/1.1\n");
        bareLf.skipBytes(4);
        assertEquals(HttpParseException.Kind.MALFORMED, kindOf(() -> new HeadParser(true, 100, 100).headLength(bareLf)));
    }

    @Test
    void aSchemeIsALetterThenLettersDigitsPlusMinusOrDot() throws Exception {
        for (String scheme : new String[] {"a", "z", "A", "Z", "h0", "h9", "ha", "hz", "hA", "hZ", "h+x", "h-x", "h.x"}) {
            assertEquals("up.test", request("GET " + scheme + "://up.test/x HTTP/1.1\r\nHost: shop\r\n\r\n").targetHost(), scheme);
        }
        for (String notAScheme : new String[] {"0h", "h/x", "h_x", "h x"}) {
            String target = notAScheme.replace(' ', '%') + "://up.test/x";
            assertEquals("shop", request("GET " + target + " HTTP/1.1\r\nHost: shop\r\n\r\n").targetHost(), target);
        }
    }

    @Test
    void aKnownMethodIsTheSharedConstantAndAnyOtherTokenIsKeptAsItCame() throws Exception {
        assertSame("GET", request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").method());
        assertSame("DELETE", request("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n").method());
        assertEquals("POSTX", request("POSTX / HTTP/1.1\r\nHost: a\r\n\r\n").method());
        assertEquals("GE", request("GE / HTTP/1.1\r\nHost: a\r\n\r\n").method());
        assertEquals("PURGE", request("PURGE / HTTP/1.1\r\nHost: a\r\n\r\n").method());
    }

    @Test
    void aHeadHandedBackIsReusedAndANullOneIsMadeAfresh() throws Exception {
        RequestHead old = request("GET /old HTTP/1.1\r\nHost: old\r\n\r\n");
        RequestHead again = HeadParser.parseRequest(old, bytes("GET /new HTTP/1.1\r\nHost: new\r\n\r\n"), h -> { });
        assertSame(old, again);
        assertEquals("new", again.host());
        RequestHead fresh = HeadParser.parseRequest(null, bytes("GET / HTTP/1.1\r\nHost: n\r\n\r\n"), null);
        assertEquals("n", fresh.host());
        ResponseHead oldResponse = HeadParser.parseResponse(bytes("HTTP/1.1 200 OK\r\n\r\n"), false);
        ResponseHead reused = HeadParser.parseResponse(oldResponse, bytes("HTTP/1.1 404 Nope\r\n\r\n"), false, h -> { });
        assertSame(oldResponse, reused);
        assertEquals(404, reused.status());
        assertEquals(201, HeadParser.parseResponse(null, bytes("HTTP/1.1 201 Made\r\n\r\n"), false, null).status());
    }

    @Test
    void hostMustAppearOnceInHttp11AndMayBeMissingInHttp10() throws Exception {
        HttpParseException none = assertThrows(HttpParseException.class, () -> request("GET / HTTP/1.1\r\nX: a\r\n\r\n"));
        assertTrue(none.getMessage().contains("no Host"), none.getMessage());
        HttpParseException two = assertThrows(HttpParseException.class,
                () -> request("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"));
        assertTrue(two.getMessage().contains("more than one Host"), two.getMessage());
        assertNull(request("GET / HTTP/1.0\r\n\r\n").host());
        assertEquals("a", request("GET / HTTP/1.0\r\nHOST: a\r\n\r\n").host());
    }

    @Test
    void aStatusCodeIsThreeDigitsFrom100() throws Exception {
        for (int status : new int[] {100, 199, 200, 209, 290, 500, 599, 999}) {
            assertEquals(status, HeadParser.parseResponse(bytes("HTTP/1.1 " + status + " X\r\n\r\n"), false).status());
        }
        assertEquals(200, HeadParser.parseResponse(bytes("HTTP/1.1 200\r\n\r\n"), false).status());
        for (String bad : new String[] {"099", "2/0", "2:0", "20", "2000", "20 ", "200\tOK"}) {
            assertThrows(HttpParseException.class,
                    () -> HeadParser.parseResponse(bytes("HTTP/1.1 " + bad + "\r\n\r\n"), false), bad);
        }
        assertThrows(HttpParseException.class,
                () -> HeadParser.parseResponse(bytes("HTTP/1.1 200 O\u0001K\r\n\r\n"), false));
        assertEquals(200, HeadParser.parseResponse(bytes("HTTP/1.1 200 O\tK \u00e9\r\n\r\n"), false).status());
    }

    @Test
    void aHeadArrivingInPiecesIsFoundFromTheReaderIndex() throws Exception {
        String head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        HeadParser parser = new HeadParser(true, 100, 100);
        ByteBuf buf = Unpooled.buffer();
        made.add(buf);
        buf.writeBytes("JUNK".getBytes(StandardCharsets.US_ASCII)).skipBytes(4);
        int found = -1;
        for (int i = 0; i < head.length() && found < 0; i++) {
            buf.writeByte(head.charAt(i));
            found = parser.headLength(buf);
        }
        assertEquals(head.length(), found);
    }

    @Test
    void theNextHeadsRequestLineIsHeldToTheLineLimitAfresh() throws Exception {
        HeadParser parser = new HeadParser(true, 20, 100);
        String first = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assertEquals(first.length(), parser.headLength(bytes(first)));
        assertEquals(HttpParseException.Kind.LINE_TOO_LONG,
                kindOf(() -> parser.headLength(bytes("GET /0123456789abcdef HTTP/1.1\r\nHost: a\r\n"))));
    }
}
