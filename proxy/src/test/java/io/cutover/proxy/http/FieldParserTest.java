package io.cutover.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rules of header fields (RFC 9112 section 5), one per test, as the proxy reads a request. */
class FieldParserTest {
    private final List<ByteBuf> made = new ArrayList<>();

    @AfterEach
    void release() {
        made.forEach(b -> {
            if (b.refCnt() > 0) {
                b.release();
            }
        });
    }

    private RequestHead request(String fields) throws HttpParseException {
        ByteBuf b = Unpooled.copiedBuffer("GET / HTTP/1.1\r\n" + fields + "\r\n", StandardCharsets.ISO_8859_1);
        made.add(b);
        return HeadParser.parseRequest(b);
    }

    private void refused(String fields) {
        HttpParseException e = assertThrows(HttpParseException.class, () -> request(fields), fields);
        assertEquals(HttpParseException.Kind.MALFORMED, e.kind(), fields);
    }

    @Test
    void connectionTokensAreFoundWhateverTheSpacesAroundTheCommas() throws Exception {
        for (String value : new String[] {"x, close", "x,close", "x ,\tclose", "close , x", "close\t,x", "x , close , y"}) {
            RequestHead h = request("Host: a\r\nConnection: " + value + "\r\n");
            assertTrue(h.close, value);
            assertTrue(h.connectionNamesOthers, value);
        }
        RequestHead h = request("Host: a\r\nConnection: Upgrade ,  keep-alive\r\n");
        assertTrue(h.connectionUpgrade);
        assertTrue(h.keepAlive);
        assertFalse(h.close);
        assertFalse(h.connectionNamesOthers);
    }

    @Test
    void emptyConnectionListElementsNameNoHeader() throws Exception {
        for (String value : new String[] {",close", "close,,", "close, ,\t,", " , close"}) {
            RequestHead h = request("Host: a\r\nConnection: " + value + "\r\n");
            assertTrue(h.close, value);
            assertFalse(h.connectionNamesOthers, value);
        }
    }

    @Test
    void aContentLengthIsOneToEighteenDigits() throws Exception {
        assertEquals(0, request("Host: a\r\nContent-Length: 0\r\n").contentLength());
        assertEquals(9, request("Host: a\r\nContent-Length: 9\r\n").contentLength());
        assertEquals(1090, request("Host: a\r\nContent-Length: 1090\r\n").contentLength());
        assertEquals(999_999_999_999_999_999L, request("Host: a\r\nContent-Length: 999999999999999999\r\n").contentLength());
        assertEquals(7, request("Host: a\r\nContent-Length:   7 \t\r\n").contentLength(), "optional whitespace around it");
        for (String bad : new String[] {"1000000000000000000", "", " ", "1a", "0x1", "1/", "1:", "-1", "1 2"}) {
            refused("Host: a\r\nContent-Length: " + bad + "\r\n");
        }
    }

    @Test
    void aValueIsTrimmedOfOptionalWhitespaceAndMayBeEmpty() throws Exception {
        assertEquals("shop", request("Host: \t shop \t\r\n").host());
        assertEquals("", request("Host:\r\n").host());
        assertEquals("", request("Host: \r\n").host());
        assertEquals("", request("Host: \t \r\n").host());
        assertEquals("a b", request("Host: a\r\nX-Request-Id:  a b  \r\n").requestId());
    }

    @Test
    void aHeaderNameIsATokenFollowedByAColonWithNoSpace() throws Exception {
        assertEquals("v", request("Host: a\r\nX-!#$%&'*+.^_`|~0z: v\r\n").header("x-!#$%&'*+.^_`|~0z"));
        for (String bad : new String[] {"X(: v", "X\": v", "X@: v", "X\u0080: v", ": v", "X v", "X : v", "X\t: v"}) {
            refused("Host: a\r\n" + bad + "\r\n");
        }
    }

    @Test
    void aValueHasNoControlCharactersButTabAndMayHaveObsText() throws Exception {
        assertEquals("a\tb\u00ff~", request("Host: a\r\nX-Request-Id: a\tb\u00ff~\r\n").requestId());
        for (char ctl : new char[] {0, 1, 0x0b, 0x0c, 0x1f, 0x7f}) {
            refused("Host: a\r\nX: a" + ctl + "b\r\n");
        }
    }

    @Test
    void obsoleteLineFoldingIsRefusedWithASpaceOrATab() {
        refused("Host: a\r\nX: b\r\n c\r\n");
        refused("Host: a\r\nX: b\r\n\tc\r\n");
        refused(" Host: a\r\n");
    }

    @Test
    void aBareCrOrABareLfEndsNoLine() {
        refused("Host: a\r\nX: b\rY: c\r\n");
        refused("Host: a\r\nX: b\nY: c\r\n");
        refused("Host: a\r\n\r");
    }

    @Test
    void framingHeadersSpelledWithAnUnderscoreAreRefusedInARequest() throws Exception {
        refused("Host: a\r\nContent_Length: 1\r\n");
        refused("Host: a\r\nTransfer_Encoding: chunked\r\n");
        ByteBuf response = Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent_Length: 1\r\nContent-Length: 2\r\n\r\n",
                StandardCharsets.ISO_8859_1);
        made.add(response);
        assertEquals(Framing.LENGTH, HeadParser.parseResponse(response, false).framing(), "a backend's is ignored");
    }
}
