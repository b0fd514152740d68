package io.cutover.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BodyReaderTest {
    private static final String CHUNKED = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n";

    /** Feeds {@code body} in pieces of {@code step} bytes; returns what came out and what was left after it. */
    private static String[] feed(BodyReader reader, String body, int step, boolean raw) throws HttpParseException {
        StringBuilder out = new StringBuilder();
        ByteBuf buf = Unpooled.buffer();
        try {
            for (int i = 0; i < body.length() && !reader.done(); i += step) {
                buf.writeBytes(body.substring(i, Math.min(body.length(), i + step)).getBytes(StandardCharsets.ISO_8859_1));
                ByteBuf part;
                while ((part = reader.read(buf, raw)) != null) {
                    out.append(part.toString(StandardCharsets.ISO_8859_1));
                    part.release();
                }
                buf.discardReadBytes();
            }
            return new String[] {out.toString(), buf.toString(StandardCharsets.ISO_8859_1)};
        } finally {
            buf.release();
        }
    }

    @Test
    void aChunkedBodyPassesAsItCameHoweverItIsSplit() throws Exception {
        for (int step = 1; step <= CHUNKED.length(); step++) {
            BodyReader r = new BodyReader(1024);
            r.start(Framing.CHUNKED, -1);
            String[] got = feed(r, CHUNKED + "NEXT", step, true);
            assertTrue(r.done(), "step " + step);
            assertEquals(CHUNKED, got[0], "step " + step);
            assertEquals(11, r.dataBytes());
        }
    }

    @Test
    void aChunkedBodyLosesItsFramingForAnHttp10Client() throws Exception {
        BodyReader r = new BodyReader(1024);
        r.start(Framing.CHUNKED, -1);
        assertEquals("hello world", feed(r, CHUNKED, 3, false)[0]);
        assertTrue(r.done());
    }

    @Test
    void aLengthBodyStopsAtItsLengthAndLeavesTheRest() throws Exception {
        BodyReader r = new BodyReader(1024);
        r.start(Framing.LENGTH, 5);
        ByteBuf buf = Unpooled.copiedBuffer("helloGET", StandardCharsets.US_ASCII);
        ByteBuf part = r.read(buf, true);
        assertEquals("hello", part.toString(StandardCharsets.US_ASCII));
        part.release();
        assertTrue(r.done());
        assertEquals("GET", buf.toString(StandardCharsets.US_ASCII));
        buf.release();
    }

    @Test
    void refusesBrokenChunks() {
        for (String bad : new String[] {"zz\r\nabc\r\n0\r\n\r\n", "1ffffffffffffffff\r\n", "3\r\nabcX\r\n", "3\nabc\r\n",
                "\r\n", "3\r\nabc\r\n0\r\n bad\r\n\r\n", "-1\r\n", "5\r\nhello\r\n0\r\n\r\r"}) {
            BodyReader r = new BodyReader(1024);
            r.start(Framing.CHUNKED, -1);
            assertThrows(HttpParseException.class, () -> feed(r, bad, 64, true), bad);
        }
    }

    @Test
    void limitsTheTrailerSection() {
        BodyReader r = new BodyReader(8);
        r.start(Framing.CHUNKED, -1);
        assertThrows(HttpParseException.class, () -> feed(r, "0\r\nX-Long-Trailer: 1\r\n\r\n", 64, true));
        BodyReader ok = new BodyReader(64);
        ok.start(Framing.CHUNKED, -1);
        assertFalse(ok.done());
    }
}
