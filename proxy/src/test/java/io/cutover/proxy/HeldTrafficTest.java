package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What maintenance and a pause answer, and how many requests a pause holds: no sockets. */
class HeldTrafficTest {
    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }

    @Test
    void maintenanceAnswers503WithRetryAfterAndThePageOrJsonKeepingTheConnectionIfAsked() {
        Maintenance m = Maintenance.of("<p>back soon</p>", 120);
        assertEquals("<p>back soon</p>", m.page());
        String html = text(m.response(false, true));
        assertEquals("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: 16\r\n"
                + "retry-after: 120\r\ncache-control: no-store\r\n\r\n<p>back soon</p>", html);
        String htmlClose = text(m.response(false, false));
        assertTrue(htmlClose.contains("\r\nconnection: close\r\n") && htmlClose.endsWith("<p>back soon</p>"), htmlClose);
        String json = text(m.response(true, true));
        assertTrue(json.startsWith("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"), json);
        assertTrue(json.endsWith("\r\n\r\n{\"status\": 503, \"error\": \"down for maintenance\", \"retryAfterSeconds\": 120}\n"), json);
        assertFalse(json.contains("connection: close"), json);
        String jsonClose = text(m.response(true, false));
        assertTrue(jsonClose.contains("\r\nconnection: close\r\n") && jsonClose.contains("application/json"), jsonClose);
    }

    @Test
    void maintenanceWithoutAPageShowsTheDefaultOne() {
        assertEquals(Maintenance.DEFAULT_PAGE, Maintenance.of(null, 1).page());
        assertEquals(Maintenance.DEFAULT_PAGE, Maintenance.of(" \n", 1).page());
        assertTrue(text(Maintenance.of("", 1).response(false, true)).endsWith(Maintenance.DEFAULT_PAGE));
    }

    @Test
    void aPauseHoldsAtMostMaxHeldAndCountsThoseLetGo() {
        Pause p = new Pause(Duration.ofSeconds(3), 2, null);
        assertEquals(2, p.maxHeld());
        assertEquals(Duration.ofSeconds(3), p.timeout());
        assertTrue(p.tryHold());
        assertTrue(p.tryHold());
        assertFalse(p.tryHold(), "a third waits not: it is answered at once");
        assertEquals(2, p.held(), "the refused one is not counted");
        p.letGo();
        assertEquals(1, p.held());
        assertTrue(p.tryHold());
    }

    @Test
    void aPauseThatReplacesAnotherKeepsItsHeldRequestsAndItsEnd() {
        Pause first = new Pause(Duration.ofSeconds(3), 5, null);
        first.tryHold();
        Pause second = new Pause(Duration.ofSeconds(9), 1, first);
        assertEquals(1, second.held());
        assertFalse(second.tryHold(), "the one held by the pause before counts");
        assertFalse(first.over());
        second.end();
        assertTrue(first.over(), "resuming lets the requests held by the earlier pause go on too");
        assertTrue(second.over());
        assertFalse(new Pause(Duration.ofSeconds(1), 1, null).over());
    }

    @Test
    void aPausesAnswerIs503WithRetryAfterOfItsTimeoutInWholeSecondsAtLeastOne() {
        String a = text(new Pause(Duration.ofSeconds(7), 1, null).response(true));
        assertEquals("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 26\r\n"
                + "retry-after: 7\r\n\r\npaused: try again shortly\n", a);
        String close = text(new Pause(Duration.ofMillis(300), 1, null).response(false));
        assertTrue(close.contains("\r\nretry-after: 1\r\nconnection: close\r\n"), close);
    }
}
