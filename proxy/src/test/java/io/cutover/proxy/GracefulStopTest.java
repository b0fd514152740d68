package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A graceful stop (cutover stopping, or handing over to a new process) fails no request a client
 * has already sent or is about to send on a connection it opened: an idle keep-alive connection
 * lingers a moment for a request on its way; one that has not sent its first request yet is
 * waited for.
 */
class GracefulStopTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp();

    /** Starts the stop and returns once the listener is closed (a new connection is refused). */
    private CompletableFuture<Integer> stopping() throws Exception {
        return stopping(Duration.ofSeconds(20), Duration.ZERO);
    }

    private CompletableFuture<Integer> stopping(Duration grace, Duration spread) throws Exception {
        CompletableFuture<Integer> cut = CompletableFuture.supplyAsync(
                () -> proxied.proxy().server().shutdownGracefully(grace, spread));
        Eventually.until(Duration.ofSeconds(10), "the listener to close", () -> {
            try (Socket s = new Socket("127.0.0.1", proxied.proxy().address().getPort())) {
                return false;
            } catch (ConnectException e) {
                return true;
            }
        });
        return cut;
    }

    @Test
    void aConnectionThatHasNotSentItsFirstRequestIsAnsweredAndThenClosed() throws Exception {
        try (RawHttp client = new RawHttp(proxied.proxy().address())) {
            CompletableFuture<Integer> cut = stopping();
            Thread.sleep(FrontendHandler.IDLE_LINGER_MILLIS + 500);     // deliberate: beyond the linger of an idle one
            RawHttp.Response r = client.send(GET).read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(client.closedByPeer());
            assertEquals(0, cut.get(20, TimeUnit.SECONDS), "nothing was cut");
        }
    }

    @Test
    void anIdleKeepAliveConnectionLingersForARequestOnItsWayThenCloses() throws Exception {
        try (RawHttp sending = new RawHttp(proxied.proxy().address());
             RawHttp silent = new RawHttp(proxied.proxy().address())) {
            assertEquals(200, sending.send(GET).read().status());
            assertEquals(200, silent.send(GET).read().status());
            CompletableFuture<Integer> cut = stopping();
            RawHttp.Response r = sending.send(GET).read();
            assertEquals(200, r.status(), "a request sent right after the stop began is answered");
            // with Connection: close, or (answered before the stop reached it) closed after the linger
            assertTrue(sending.closedByPeer(), "then the connection closes");
            assertTrue(silent.closedByPeer(), "one that sends nothing is closed after the linger");
            assertEquals(0, cut.get(20, TimeUnit.SECONDS));
            StopFigures f = proxied.proxy().server().lastStop();
            // (the probes of stopping() that got in before the listener closed are closed by this client)
            assertEquals(f.open(), f.answeredAndClosed() + f.closedIdle() + f.closedByClient(), String.valueOf(f));
            assertTrue(f.closedIdle() >= 1, "the silent one was closed idle: " + f);
            assertEquals(0, f.cut(), String.valueOf(f));
        }
    }

    @Test
    void aStopSpreadOverTimeGoesOnServingTheKeepAliveConnectionsWhoseTurnHasNotCome() throws Exception {
        try (RawHttp first = new RawHttp(proxied.proxy().address());
             RawHttp second = new RawHttp(proxied.proxy().address())) {
            assertEquals(200, first.send(GET).read().status());
            assertEquals(200, second.send(GET).read().status());
            // their turns: one at once, the other (at least) a third of the spread later
            CompletableFuture<Integer> cut = stopping(Duration.ofSeconds(50), Duration.ofSeconds(24));
            RawHttp.Response a = first.send(GET).read();
            RawHttp.Response b = second.send(GET).read();
            assertEquals(200, a.status());
            assertEquals(200, b.status());
            assertTrue(!"close".equals(a.header("connection")) || !"close".equals(b.header("connection")),
                    "a connection whose turn has not come is kept alive");
            first.close();
            second.close();
            assertEquals(0, cut.get(20, TimeUnit.SECONDS), "closed by their clients before their turn: nothing cut");
        }
    }

    @Test
    void underClientsThatAlwaysHaveARequestInFlightAGracefulStopFailsNoRequestGetOrPost() throws Exception {
        for (int round = 0; round < 3; round++) {     // the stop lands at a different moment of each exchange
            TestProxy p = round == 0 ? proxied.proxy() : TestProxy.start();
            try {
                p.switchTo(proxied.app().target());
                InFlightClients clients = InFlightClients.untilRefused(p.address(), 8);
                try {
                    clients.awaitAnswered(500);
                    int cut = p.server().shutdownGracefully(Duration.ofSeconds(20));
                    assertTrue(clients.awaitEnded(30), "the clients end once the listener refuses them");
                    assertEquals(java.util.List.of(), clients.stop(), "round " + round);
                    assertEquals(0, cut, "nothing was cut");
                    StopFigures f = p.server().lastStop();
                    assertTrue(f.open() > 0, String.valueOf(f));
                    assertEquals(f.open(), f.answeredAndClosed() + f.closedIdle() + f.closedByClient(),
                            "every connection ended after a Connection: close or idle: " + f);
                    assertTrue(f.answeredAndClosed() > 0, "clients that always send were answered: " + f);
                } finally {
                    clients.stop();
                }
            } finally {
                if (p != proxied.proxy()) {
                    p.close();
                }
            }
        }
    }
}
