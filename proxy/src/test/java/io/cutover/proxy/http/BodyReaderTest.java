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

    private static void refused(BodyReader r, String body) {
        r.start(Framing.CHUNKED, -1);
        assertThrows(HttpParseException.class, () -> feed(r, body, 64, true), body);
    }

    private static void accepted(BodyReader r, String body) throws HttpParseException {
        r.start(Framing.CHUNKED, -1);
        assertEquals(body, feed(r, body, 64, true)[0], body);
        assertTrue(r.done(), body);
    }

    @Test
    void eachChunkLineEndsInCrLfAndNothingElse() throws Exception {
        accepted(new BodyReader(64), "3\r\nabc\r\n0\r\n\r\n");
        for (String bad : new String[] {"3\rXabc\r\n0\r\n\r\n", "3\r\nabcX\n0\r\n\r\n", "3\r\nabc\rX0\r\n\r\n",
                "0\r\nX: 1\rX\r\n", "0\r\n\rX"}) {
            refused(new BodyReader(64), bad);
        }
    }

    @Test
    void aChunkSizeIsOneOrMoreHexDigitsUpToTheLargestLong() throws Exception {
        accepted(new BodyReader(64), "10\r\n0123456789abcdef\r\n0\r\n\r\n");
        accepted(new BodyReader(64), "0A\r\n0123456789\r\n0000\r\n\r\n");
        BodyReader r = new BodyReader(64);
        r.start(Framing.CHUNKED, -1);
        assertEquals("7fffffffffffffff\r\nabc", feed(r, "7fffffffffffffff\r\nabc", 64, true)[0]);
        assertFalse(r.done());
        refused(new BodyReader(64), "80000000000000000\r\n");
        refused(new BodyReader(64), ";x\r\n");
        refused(new BodyReader(64), " \r\n");
        refused(new BodyReader(64), "\t1\r\n");
    }

    @Test
    void aChunkExtensionIsUpTo4096BytesWithoutControlCharacters() throws Exception {
        String ext = "a".repeat(4096);
        accepted(new BodyReader(64), "1;" + ext + "\r\nx\r\n0;" + ext + "\r\n\r\n");
        accepted(new BodyReader(64), "1 " + ext + "\r\nx\r\n0\r\n\r\n");
        refused(new BodyReader(64), "1;" + ext + "b\r\nx\r\n0\r\n\r\n");
        refused(new BodyReader(64), "1;a\u0001\r\nx\r\n0\r\n\r\n");
    }

    @Test
    void aTrailerSectionOfExactlyTheLimitPassesAndOneByteMoreIsRefused() throws Exception {
        accepted(new BodyReader(4), "0\r\nX: 1\r\n\r\n");
        refused(new BodyReader(3), "0\r\nX: 1\r\n\r\n");
        accepted(new BodyReader(8), "0\r\nX: 1\r\nY: 2\r\n\r\n");
        refused(new BodyReader(7), "0\r\nX: 1\r\nY: 2\r\n\r\n");
        refused(new BodyReader(64), "0\r\nX: \u0001\r\n\r\n");
    }

    @Test
    void aChunkedBodyIsPassedOnFromWhereTheBufferIsRead() throws Exception {
        BodyReader r = new BodyReader(64);
        r.start(Framing.CHUNKED, -1);
        ByteBuf buf = Unpooled.copiedBuffer("HEAD2\r\nab\r\n0\r\n\r\nNEXT", StandardCharsets.US_ASCII);
        try {
            buf.skipBytes(4);
            ByteBuf part = r.read(buf, true);
            assertEquals("2\r\nab\r\n0\r\n\r\n", part.toString(StandardCharsets.US_ASCII));
            part.release();
            assertTrue(r.done());
            assertEquals("NEXT", buf.toString(StandardCharsets.US_ASCII));
        } finally {
            buf.release();
        }
    }

    @Test
    void aLengthBodyCountsItsBytesAsItGoes() throws Exception {
        BodyReader r = new BodyReader(64);
        r.start(Framing.LENGTH, 5);
        ByteBuf buf = Unpooled.copiedBuffer("hel", StandardCharsets.US_ASCII);
        try {
            r.read(buf, true).release();
            assertEquals(3, r.dataBytes());
            assertFalse(r.done());
            buf.writeBytes("loXY".getBytes(StandardCharsets.US_ASCII));
            r.read(buf, true).release();
            assertEquals(5, r.dataBytes());
            assertTrue(r.done());
            assertEquals(null, r.read(buf, true));
        } finally {
            buf.release();
        }
    }
}
