package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A graceful stop (cutover stopping, or handing over to a new process) fails no request a client
 * has already sent or is about to send on a connection it opened: an idle keep-alive connection
 * lingers a moment for a request on its way; one that has not sent its first request yet is
 * waited for.
 */
class GracefulStopTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    private TestBackend app;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        app = TestBackend.start("app");
        proxy = TestProxy.start();
        proxy.switchTo(app.target());
    }

    @AfterEach
    void stop() {
        proxy.close();
        app.close();
    }

    /** Starts the stop and returns once the listener is closed (a new connection is refused). */
    private CompletableFuture<Integer> stopping() throws Exception {
        CompletableFuture<Integer> cut = CompletableFuture.supplyAsync(
                () -> proxy.server().shutdownGracefully(Duration.ofSeconds(20)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", proxy.address().getPort())) {
                assertTrue(System.nanoTime() < deadline, "the listener never closed");
                Thread.sleep(5);
            } catch (ConnectException e) {
                return cut;
            }
        }
    }

    @Test
    void aConnectionThatHasNotSentItsFirstRequestIsAnsweredAndThenClosed() throws Exception {
        try (RawHttp client = new RawHttp(proxy.address())) {
            CompletableFuture<Integer> cut = stopping();
            Thread.sleep(FrontendHandler.IDLE_LINGER_MILLIS + 500);     // beyond the linger of an idle one
            RawHttp.Response r = client.send(GET).read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(client.closedByPeer());
            assertEquals(0, cut.get(20, TimeUnit.SECONDS), "nothing was cut");
        }
    }

    @Test
    void anIdleKeepAliveConnectionLingersForARequestOnItsWayThenCloses() throws Exception {
        try (RawHttp sending = new RawHttp(proxy.address()); RawHttp silent = new RawHttp(proxy.address())) {
            assertEquals(200, sending.send(GET).read().status());
            assertEquals(200, silent.send(GET).read().status());
            CompletableFuture<Integer> cut = stopping();
            RawHttp.Response r = sending.send(GET).read();
            assertEquals(200, r.status(), "a request sent right after the stop began is answered");
            // with Connection: close, or (answered before the stop reached it) closed after the linger
            assertTrue(sending.closedByPeer(), "then the connection closes");
            assertTrue(silent.closedByPeer(), "one that sends nothing is closed after the linger");
            assertEquals(0, cut.get(20, TimeUnit.SECONDS));
            StopFigures f = proxy.server().lastStop();
            // (the probes of stopping() that got in before the listener closed are closed by this client)
            assertEquals(f.open(), f.answeredAndClosed() + f.closedIdle() + f.closedByClient(), String.valueOf(f));
            assertTrue(f.closedIdle() >= 1, "the silent one was closed idle: " + f);
            assertEquals(0, f.cut(), String.valueOf(f));
        }
    }

    @Test
    void underClientsThatAlwaysHaveARequestInFlightAGracefulStopFailsNoRequestGetOrPost() throws Exception {
        for (int round = 0; round < 3; round++) {     // the stop lands at a different moment of each exchange
            TestProxy p = round == 0 ? proxy : TestProxy.start();
            try {
                p.switchTo(app.target());
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
                if (p != proxy) {
                    p.close();
                }
            }
        }
    }
}
