package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the CLI's admin client reads an answer: what it takes, and what it refuses with a reason. */
class AdminHttpParseTest {
    private static AdminHttp.Response parse(String raw) throws IOException {
        return AdminHttp.parse(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void anAnswerWithALengthGivesItsStatusAndExactlyThatManyBodyBytes() throws IOException {
        AdminHttp.Response r = parse("HTTP/1.1 409 Conflict\r\ncontent-length: 2\r\n\r\n{}extra");
        assertEquals(409, r.status());
        assertArrayEquals("{}".getBytes(StandardCharsets.US_ASCII), r.body());
    }

    @Test
    void anAnswerWithoutALengthRunsToTheEndOfTheConnection() throws IOException {
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), parse("HTTP/1.0 200\r\n\r\nabc").body());
    }

    @Test
    void aChunkedAnswerIsRefusedRatherThanReadWithItsFraming() {
        IOException e = assertThrows(IOException.class,
                () -> parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
        assertTrue(e.getMessage().contains("Transfer-Encoding"), e.getMessage());
    }

    @Test
    void aBodyShorterThanItsLengthIsCutShort() {
        IOException e = assertThrows(IOException.class, () -> parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"));
        assertEquals("response body cut short", e.getMessage());
    }

    @Test
    void aHeadThatNeverEndsOrIsNotHttpIsRefused() {
        assertThrows(IOException.class, () -> parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"));
        assertThrows(IOException.class, () -> parse("SSH-2.0-OpenSSH\r\n\r\n"));
        assertThrows(IOException.class, () -> parse("HTTP/1.1 abc\r\n\r\n"));
        assertThrows(IOException.class, () -> parse("HTTP/1.1 200\r\nContent-Length: x\r\n\r\n"));
        assertThrows(IOException.class, () -> parse(""));
    }
}
