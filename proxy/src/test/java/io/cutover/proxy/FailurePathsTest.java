package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What the proxy does when a backend misbehaves in ways that tempt it to repeat a request or
 * reuse a connection it should not: never send a request twice that may have been processed,
 * never pool a connection whose state is unknown.
 */
class FailurePathsTest {

    /** Reads a request head and its Content-Length body; null at end of stream. */
    private static String readRequest(InputStream in) throws IOException {
        String head = ScriptedBackend.readHead(in);
        if (head == null) {
            return null;
        }
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
        }
        return head;
    }

    @Test
    void aPostIsSentOnceWhenTheBackendAnswersItWithAResponseCutoverRejects() throws Exception {
        AtomicInteger posts = new AtomicInteger();
        String tooBig = "X-Big: " + "a".repeat(20_000) + "\r\n";
        try (ScriptedBackend backend = ScriptedBackend.start((s, b) -> {
                for (int n = 0; ; n++) {
                    String head = readRequest(s.getInputStream());
                    if (head == null) {
                        return;
                    }
                    if (head.startsWith("POST")) {
                        posts.incrementAndGet();
                    }
                    // the first request on a connection is answered well, the next with a head over the limit
                    ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + (n == 0 ? "" : tooBig) + "\r\nok");
                }
            });
             TestProxy proxy = TestProxy.startOneLoop(); RawHttp client = new RawHttp(proxy.address())) {
            proxy.switchTo(backend.target());
            assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            // no body: the old retry rule (any request without one, on a reused connection) repeated it
            RawHttp.Response charged = client.send("POST /charge-card?amount=9.99 HTTP/1.1\r\nHost: a\r\n"
                    + "Content-Length: 0\r\n\r\n").read();
            assertEquals(502, charged.status());
            assertEquals(1, posts.get(), "the card was charged once");
        }
    }

    @Test
    void aPostOnAPooledConnectionThatDiesAsItIsSentIsNotSentAgain() throws Exception {
        AtomicInteger posts = new AtomicInteger();
        // keeps the connection after the first answer, and resets it when the next request arrives
        try (ScriptedBackend treacherous = ScriptedBackend.start((s, b) -> {
                InputStream in = s.getInputStream();
                if (readRequest(in) == null) {
                    return;
                }
                ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                String next = readRequest(in);
                if (next != null) {
                    if (next.startsWith("POST")) {
                        posts.incrementAndGet();
                    }
                    s.setSoLinger(true, 0);
                }
            });
             TestProxy proxy = TestProxy.startOneLoop(); RawHttp client = new RawHttp(proxy.address())) {
            proxy.switchTo(treacherous.target());
            assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            RawHttp.Response r = client.send("POST /orders?item=7 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").read();
            assertEquals(502, r.status(), "it may have been processed: the client decides, not the proxy");
            assertEquals(1, posts.get());
        }
    }

    @Test
    void connectIsRefusedAndNeverReachesTheBackend() throws Exception {
        try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.startOneLoop()) {
            proxy.switchTo(app.target());
            try (RawHttp client = new RawHttp(proxy.address())) {
                RawHttp.Response r = client.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").read();
                assertEquals(405, r.status());
                assertTrue(client.closedByPeer());
            }
            assertEquals(0, app.requests());
            try (RawHttp next = new RawHttp(proxy.address())) {
                assertEquals("app", next.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
        }
    }

    @Test
    void aBackendConnectionWithBytesLeftAfterItsResponseIsNeverReused() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean strayed = new java.util.concurrent.atomic.AtomicBoolean();
        try (ScriptedBackend sloppy = ScriptedBackend.start((s, b) -> {
                InputStream in = s.getInputStream();
                // the first answer of the first connection carries stray bytes after its body; the
                // connection stays open
                if (readRequest(in) != null) {
                    ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            + (strayed.getAndSet(true) ? "" : "STRAY"));
                }
                while (readRequest(in) != null) {
                    ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            });
             TestProxy proxy = TestProxy.startOneLoop(); RawHttp client = new RawHttp(proxy.address())) {
            proxy.switchTo(sloppy.target());
            // POSTs with a body: a request that may have been processed is never retried, so a
            // connection left in an unknown state shows as a failed request
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}").read();
                assertEquals(200, r.status(), "request " + i);
                assertEquals("ok", r.body());
            }
            // the stray bytes end the first connection's use: the second request opens another,
            // the third reuses that clean one
            assertEquals(2, sloppy.connections(), "backend connections opened");
        }
    }

    @Test
    void strayBytesAfterAHeadResponseNeverReachTheNextClient() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean strayed = new java.util.concurrent.atomic.AtomicBoolean();
        // whether the proxy closed the connection that carried stray bytes (true) or asked again on it
        java.util.concurrent.CompletableFuture<Boolean> droppedAfterStray = new java.util.concurrent.CompletableFuture<>();
        try (ScriptedBackend sloppy = ScriptedBackend.start((s, b) -> {
                InputStream in = s.getInputStream();
                for (String head; (head = readRequest(in)) != null; ) {
                    if (head.startsWith("HEAD") && !strayed.get()) {
                        // a HEAD answered with its head, then, a little later, what looks like a whole response
                        ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
                        Thread.sleep(100);      // deliberate: the stray bytes come apart from the head
                        ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nSTRAY");
                        strayed.set(true);
                        String next = readRequest(in);
                        droppedAfterStray.complete(next == null);     // the proxy should close, not ask again
                        if (next == null) {
                            return;
                        }
                    }
                    ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood");
                }
            });
             TestProxy proxy = TestProxy.startOneLoop(); RawHttp first = new RawHttp(proxy.address());
             RawHttp second = new RawHttp(proxy.address())) {
            proxy.switchTo(sloppy.target());
            String head = first.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").readUntil("\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            Eventually.until(Duration.ofSeconds(20), "the backend to send its stray bytes", strayed::get);
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = second.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read();
                assertEquals(200, r.status(), "request " + i);
                assertEquals("good", r.body(), "request " + i + " got the stray bytes");
            }
            assertTrue(droppedAfterStray.get(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the connection that carried stray bytes was closed, not reused");
        }
    }

    @Test
    void whenNoBackendSocketCanBeMadeTheClientGets503AndNothingIsLeftBehind() throws Exception {
        AtomicInteger refusing = new AtomicInteger(1);
        try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.startOneLoop()) {
            proxy.switchTo(app.target());
            io.netty.channel.ChannelFactory<io.netty.channel.Channel> real = () -> {
                try {
                    return TestProxy.transport().channel().getConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            };
            proxy.server().backendChannels(() -> {
                if (refusing.get() == 1) {
                    throw new io.netty.channel.ChannelException("newSocketStream(..) failed: Too many open files");
                }
                return real.newChannel();
            });
            Backend backend = proxy.server().router().active();
            for (int i = 0; i < 3; i++) {
                try (RawHttp client = new RawHttp(proxy.address())) {
                    assertEquals(503, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
                }
            }
            assertEquals(0, backend.openConnections(), "no channel that never was is kept");
            assertEquals(0, backend.inFlight());
            refusing.set(0);
            try (RawHttp client = new RawHttp(proxy.address())) {
                assertEquals("app", client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
            DrainResult drained = proxy.switchTo(app.target(), java.time.Duration.ofSeconds(1)).get(10,
                    java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, drained.forced());
        }
    }

    /** A backend channel of the transport under test, as the proxy makes one. */
    private static io.netty.channel.Channel backendChannel() {
        try {
            return TestProxy.transport().channel().getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ch}, closed on its own side once registered, before its connect starts. */
    private static io.netty.channel.Channel closedOnRegistration(io.netty.channel.Channel ch) {
        ch.pipeline().addFirst(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRegistered(io.netty.channel.ChannelHandlerContext ctx) {
                ctx.close();
            }
        });
        return ch;
    }

    @Test
    void aBackendConnectionClosedHereBeforeItConnectsIsOpenedAgainAndThePostGetsItsAnswer() throws Exception {
        // what epoll does when a new socket reuses the number of one closed in the same batch of
        // events: the stale event's read fails on the unconnected socket and closes it, and its
        // connect fails with ClosedChannelException; the replica never answered
        AtomicInteger toClose = new AtomicInteger(1);
        try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.startOneLoop()) {
            proxy.switchTo(app.target());
            proxy.server().backendChannels(() -> toClose.getAndDecrement() > 0
                    ? closedOnRegistration(backendChannel()) : backendChannel());
            Replica replica = proxy.server().router().active().replicas().get(0);
            try (RawHttp client = new RawHttp(proxy.address())) {
                RawHttp.Response r = client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello").read();
                assertEquals(200, r.status(), "the one replica is up: the POST is answered by it");
                assertEquals("app", r.body());
            }
            assertTrue(toClose.get() < 0, "the first connection was closed before it connected, a second one opened");
            assertEquals(0, replica.ejections(), "a connection closed here is not the replica's failure");
            assertEquals(null, replica.downReason());
        }
    }

    @Test
    void aBackendConnectionClosedHereTwiceIsNotOpenedAThirdTimeAndTheClientGets502() throws Exception {
        AtomicInteger made = new AtomicInteger();
        try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.startOneLoop()) {
            proxy.switchTo(app.target());
            proxy.server().backendChannels(() -> {
                made.incrementAndGet();
                return closedOnRegistration(backendChannel());
            });
            Replica replica = proxy.server().router().active().replicas().get(0);
            try (RawHttp client = new RawHttp(proxy.address())) {
                assertEquals(502, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            }
            assertEquals(2, made.get(), "opened again once, not in a loop");
            assertEquals(0, replica.ejections(), "closed here twice is still not the replica's failure");
            assertEquals(null, replica.downReason());
        }
    }

    @Test
    void connectionsOpenedAheadOnLoopsThatStoppedAreNotTriedAndThePrewarmStillCompletes() throws Exception {
        // cutover stopped just as a switch (or its start-up rehearsal) opened connections ahead
        io.netty.channel.EventLoopGroup stopped = TestProxy.transport().newGroup(1);
        stopped.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).await(10, java.util.concurrent.TimeUnit.SECONDS);
        try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.startOneLoop()) {
            Backend backend = proxy.server().newBackend(app.target());
            backend.prewarm(stopped).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, backend.openConnections());
            backend.prewarm(proxy.server().group()).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(1, backend.openConnections(), "a running loop still gets its connection");
            backend.discard();
        }
    }

    @Test
    void aPipelinedRequestWaitingWhenTheClientLeavesLeaksNothing() throws Exception {
        LeakDetection.collectLeaks();   // whatever earlier tests left is theirs
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        try (ScriptedBackend silent = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                asked.countDown();
                Thread.sleep(30_000);   // deliberate: never answers
            });
             TestProxy proxy = TestProxy.startOneLoop()) {
            proxy.switchTo(silent.target());
            try (RawHttp client = new RawHttp(proxy.address())) {
                // the first waits for its answer; the second waits behind it, parsed, in the proxy
                client.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
                assertTrue(asked.await(10, java.util.concurrent.TimeUnit.SECONDS));
            }
        }   // the proxy closes every connection, the waiting one's too
        assertEquals(java.util.List.of(), LeakDetection.collectLeaks());
    }

    @Test
    void anHttp10RequestWithoutHostReachesTheBackendWithOne() throws Exception {
        try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.start()) {
            proxy.switchTo(app.target());
            try (Socket s = RawHttp.socket(proxy.address())) {
                s.getOutputStream().write("GET /headers HTTP/1.0\r\n\r\n".getBytes());
                String answer = new String(s.getInputStream().readAllBytes());
                assertTrue(answer.startsWith("HTTP/1.0 200") || answer.startsWith("HTTP/1.1 200"), answer);
                assertTrue(answer.contains("host: " + app.target()), answer);
            }
        }
    }
}
