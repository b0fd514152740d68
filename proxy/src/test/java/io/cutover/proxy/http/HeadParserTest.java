package io.cutover.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
}
