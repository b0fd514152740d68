package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A version running as several replicas behind one proxy: balancing, health, upgrades, drains. */
class ReplicaBalancingTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: app\r\n\r\n";
    private static final String POST = "POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\n\r\nhello";

    private final List<ReplicaApp> apps = new ArrayList<>();
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        proxy = TestProxy.start();
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        for (ReplicaApp a : apps) {
            a.close();
        }
    }

    private ReplicaApp app(String name) throws IOException {
        ReplicaApp a = ReplicaApp.start(name);
        apps.add(a);
        return a;
    }

    /** A backend over these targets, switched in; the one it replaced drains. */
    private Backend serve(Target... targets) {
        Backend b = backend(targets);
        Backend was = proxy.server().router().flip(b);
        if (was != null) {
            was.drain(Duration.ofSeconds(30), proxy.server().group().next());
        }
        return b;
    }

    private Backend backend(Target... targets) {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (Target t : targets) {
            addresses.add(t.resolve());
        }
        return proxy.server().newBackend(Router.DEFAULT_APP, List.of(targets), addresses, "v1");
    }

    /**
     * A port nothing listens on (connecting to it is refused), outside the ephemeral range so no
     * outgoing connection takes it meanwhile.
     */
    private static Target refusing() throws IOException {
        return new Target("127.0.0.1", TestPorts.free());
    }

    private static Map<String, Integer> answers(RawHttp client, String request, int n) throws IOException {
        Map<String, Integer> got = new HashMap<>();
        for (int i = 0; i < n; i++) {
            RawHttp.Response r = client.send(request).read();
            assertEquals(200, r.status(), r.body());
            got.merge(r.body(), 1, Integer::sum);
        }
        return got;
    }

    @Test
    void sequentialRequestsSpreadEvenlyOverThreeReplicas() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        ReplicaApp c = app("c");
        Backend backend = serve(a.target(), b.target(), c.target());
        try (RawHttp client = new RawHttp(proxy.address())) {
            Map<String, Integer> got = answers(client, GET, 30);
            assertEquals(Map.of("a", 10, "b", 10, "c", 10), got, "idle replicas are taken in turn");
        }
        for (Replica r : backend.replicas()) {
            assertEquals(10, r.requests(), r.toString());
            assertTrue(r.up());
        }
        SwitchAndDrainTest.awaitInFlight(backend, 0);
    }

    @Test
    void newRequestsGoAwayFromAReplicaHoldingSlowOnes() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        Backend backend = serve(a.target(), b.target());
        try (RawHttp slow = new RawHttp(proxy.address()); RawHttp quick = new RawHttp(proxy.address())) {
            slow.send("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
            Eventually.until(Duration.ofSeconds(10), "the slow request reached a replica",
                    () -> a.holding() + b.holding() == 1);
            ReplicaApp holding = a.holding() == 1 ? a : b;
            ReplicaApp other = holding == a ? b : a;
            Map<String, Integer> got = answers(quick, GET, 10);
            assertEquals(Map.of(other.name(), 10), got, "every new request went to the replica with none in flight");
            Replica held = backend.replicas().get(holding == a ? 0 : 1);
            assertEquals(1, held.inFlight());
            holding.release();
            assertEquals(holding.name(), slow.read().body());
        }
        SwitchAndDrainTest.awaitInFlight(backend, 0);
        assertEquals(0, backend.replicas().get(0).inFlight());
        assertEquals(0, backend.replicas().get(1).inFlight());
    }

    @Test
    void aRefusingReplicaIsSkippedItsRequestsSucceedElsewhereAndItRejoinsOnceItListens() throws Exception {
        ReplicaApp a = app("a");
        Target gone = refusing();
        Backend backend = serve(gone, a.target());
        Replica down = backend.replicas().get(0);
        try (RawHttp client = new RawHttp(proxy.address())) {
            for (int i = 0; i < 10; i++) {
                RawHttp.Response get = client.send(GET).read();
                assertEquals(200, get.status(), "GET " + i + ": " + get.body());
                assertEquals("a", get.body());
                RawHttp.Response post = client.send(POST).read();
                assertEquals(200, post.status(), "POST " + i + ": " + post.body());
                assertEquals("5", post.body(), "the POST went whole to the other replica");
            }
        }
        assertFalse(down.up());
        assertTrue(down.passivelyDown());
        assertTrue(down.downReason().startsWith("connect failed"), down.downReason());
        assertEquals(1, down.ejections());

        ReplicaApp back = ReplicaApp.start("back", gone.port());
        apps.add(back);
        try (RawHttp client = new RawHttp(proxy.address())) {
            Eventually.until(Duration.ofSeconds(30), "the replica takes requests again", () -> {
                assertEquals(200, client.send(GET).read().status());
                return back.requests() > 0;
            });
            Eventually.until(Duration.ofSeconds(10), "it is up", down::up);
            Map<String, Integer> got = answers(client, GET, 10);
            assertEquals(5, got.get("back"), "back in the rotation: " + got);
        }
    }

    @Test
    void anIdempotentRequestWhosePooledConnectionDiesIsSentAgainToAnotherReplica() throws Exception {
        AtomicInteger secondRequests = new AtomicInteger();
        // answers the first request of a connection, and resets the connection when the next comes
        try (ScriptedBackend treacherous = ScriptedBackend.start((s, b) -> {
                java.io.InputStream in = s.getInputStream();
                if (ScriptedBackend.readHead(in) == null) {
                    return;
                }
                ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nt");
                if (ScriptedBackend.readHead(in) != null) {
                    secondRequests.incrementAndGet();
                    s.setSoLinger(true, 0);
                }
            });
             TestProxy oneLoop = TestProxy.startOneLoop()) {
            ReplicaApp good = app("good");
            Target[] targets = {treacherous.target(), good.target()};
            List<InetSocketAddress> addresses = List.of(targets[0].resolve(), targets[1].resolve());
            Backend backend = oneLoop.server().newBackend(Router.DEFAULT_APP, List.of(targets), addresses, "v1");
            oneLoop.server().router().flip(backend);
            try (RawHttp client = new RawHttp(oneLoop.address())) {
                assertEquals(Map.of("t", 1, "good", 1), answers(client, GET, 2), "one each, in turn");
                // the next turn is the treacherous replica's, on its pooled connection: reset
                RawHttp.Response r = client.send(GET).read();
                assertEquals(200, r.status());
                assertEquals("good", r.body(), "sent again, to the other replica");
                assertEquals(1, secondRequests.get());
            }
            SwitchAndDrainTest.awaitInFlight(backend, 0);
            assertEquals(0, backend.replicas().get(0).inFlight());
            assertEquals(0, backend.replicas().get(1).inFlight());
        }
    }

    @Test
    void aReplicaMarkedDownFromOutsideGetsNothingUntilMarkedUp() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        Backend backend = serve(a.target(), b.target());
        Replica first = backend.replicas().get(0);
        first.markDown("health check answered 503");
        assertEquals("health check answered 503", first.downReason());
        try (RawHttp client = new RawHttp(proxy.address())) {
            assertEquals(Map.of("b", 10), answers(client, GET, 10));
            first.markUp();
            assertNull(first.downReason());
            assertEquals(Map.of("a", 5, "b", 5), answers(client, GET, 10));
        }
    }

    @Test
    void withEveryReplicaDownARequestIsStillTried() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        Backend backend = serve(a.target(), b.target());
        backend.replicas().forEach(r -> r.markDown("held down"));
        try (RawHttp client = new RawHttp(proxy.address())) {
            assertEquals(Map.of("a", 5, "b", 5), answers(client, GET, 10), "tried in turn, never a 503");
        }
    }

    @Test
    void withEveryReplicaRefusingTheAnswerIs502NotA503() throws Exception {
        Backend backend = serve(refusing(), refusing());
        try (RawHttp client = new RawHttp(proxy.address())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(502, client.send(GET).read().status());
            }
        }
        for (Replica r : backend.replicas()) {
            assertTrue(r.passivelyDown(), r.toString());
        }
        SwitchAndDrainTest.awaitInFlight(backend, 0);
    }

    @Test
    void anUpgradedConnectionStaysOnItsReplica() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        Backend backend = serve(a.target(), b.target());
        try (RawHttp tunnel = new RawHttp(proxy.address()); RawHttp other = new RawHttp(proxy.address())) {
            RawHttp.Response up = tunnel.send("GET /chat HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
                    .read();
            assertEquals(101, up.status());
            tunnel.send("1");
            String first = tunnel.readRaw(2);
            String name = first.substring(0, 1);
            assertEquals(name + "1", first);
            Replica itsReplica = backend.replicas().get(name.equals("a") ? 0 : 1);
            assertEquals(1, itsReplica.inFlight());
            for (int i = 2; i < 6; i++) {
                answers(other, GET, 3);     // other requests go on around it
                if (i == 4) {
                    itsReplica.markDown("marked down while a tunnel is open");
                }
                tunnel.send(Integer.toString(i));
                assertEquals(name + i, tunnel.readRaw(2), "the tunnel stays on replica " + name);
            }
        }
        SwitchAndDrainTest.awaitInFlight(backend, 0);
    }

    @Test
    void aDrainOfAMultiReplicaVersionWaitsForRequestsOnEveryReplica() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        ReplicaApp next = app("next");
        Backend old = serve(a.target(), b.target());
        try (RawHttp first = new RawHttp(proxy.address()); RawHttp second = new RawHttp(proxy.address())) {
            first.send("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
            Eventually.until(Duration.ofSeconds(10), "one held", () -> a.holding() + b.holding() == 1);
            ReplicaApp firstApp = a.holding() == 1 ? a : b;
            ReplicaApp secondApp = firstApp == a ? b : a;
            second.send("GET /hold HTTP/1.1\r\nHost: app\r\n\r\n");
            Eventually.until(Duration.ofSeconds(10), "one held on each replica", () -> secondApp.holding() == 1);

            Backend was = proxy.server().router().flip(backend(next.target()));
            assertEquals(old, was);
            CompletableFuture<DrainResult> drain = old.drain(Duration.ofSeconds(30), proxy.server().group().next());
            try (RawHttp client = new RawHttp(proxy.address())) {
                assertEquals("next", client.send(GET).read().body());
            }
            firstApp.release();
            assertEquals(firstApp.name(), first.read().body());
            Eventually.value(Duration.ofSeconds(10), "one left in flight", old::inFlight, n -> n == 1);
            assertFalse(drain.isDone(), secondApp.name() + " still has a request in flight");
            secondApp.release();
            RawHttp.Response last = second.read();
            assertEquals(200, last.status(), "the drain let the request on the other replica finish: " + last.body());
            assertEquals(secondApp.name(), last.body());
            DrainResult result = drain.get(10, TimeUnit.SECONDS);
            assertEquals(2, result.inFlight());
            assertEquals(2, result.completed());
            assertEquals(0, result.forced());
        }
        SwitchAndDrainTest.awaitNoConnections(old);
    }

    @Test
    void aCanaryOfTwoReplicasBalancesItsShareWithinItself() throws Exception {
        ReplicaApp stable = app("stable");
        ReplicaApp c1 = app("c1");
        ReplicaApp c2 = app("c2");
        serve(stable.target());
        Backend canary = backend(c1.target(), c2.target());
        proxy.server().router().app(Router.DEFAULT_APP).canary(new Canary(canary, Canary.ALL, List.of()));
        try (RawHttp client = new RawHttp(proxy.address())) {
            assertEquals(Map.of("c1", 5, "c2", 5), answers(client, GET, 10), "the whole share, spread over the canary's replicas");
        }
        Eventually.value(Duration.ofSeconds(10), "the canary's stats are the version's, over both replicas",
                () -> canary.stats().snapshot().requests(), n -> n == 10);
    }

    /**
     * Keep-alive clients with a request always in flight, GETs and POSTs (16 KiB bodies in two
     * writes), while one of three replicas goes away (its listener and then its connections
     * close). No GET fails: one whose pooled connection died under it is sent again, preferably
     * to another replica, and one whose connection is refused moves on. A POST can fail (502) in
     * one case only: it went out on a pooled connection of the replica that was closing at that
     * moment; the proxy cannot know whether the app got it, so it does not send it again.
     */
    @Test
    void aReplicaGoingAwayUnderKeepAliveLoadFailsNoIdempotentRequest() throws Exception {
        ReplicaApp a = app("a");
        ReplicaApp b = app("b");
        ReplicaApp c = app("c");
        Backend backend = serve(a.target(), b.target(), c.target());
        Load load = new Load(proxy.address(), 8);
        try {
            load.awaitAnswered(2_000);
            a.stop();
            int atStop = load.answered.get();
            load.awaitAnswered(atStop + 2_000);
            Eventually.until(Duration.ofSeconds(10), "the replica that went away is down",
                    () -> !backend.replicas().get(0).up());
        } finally {
            load.stop();
        }
        List<String> gets = load.failures.stream().filter(f -> f.startsWith("GET")).toList();
        List<String> posts = load.failures.stream().filter(f -> f.startsWith("POST")).toList();
        assertEquals(List.of(), InFlightClients.firstOf(gets), "no GET fails");
        for (String p : posts) {
            assertTrue(p.startsWith("POST 502"), "a POST fails only with a 502: " + p);
        }
        assertTrue(b.requests() > 0 && c.requests() > 0);
        System.out.println("replica gone under load: " + load.answered.get() + " answered, POSTs failed: "
                + posts.size() + " " + InFlightClients.firstOf(posts));
    }

    /** Keep-alive clients, GET and POST in turn, that go on after a failure (on a new connection). */
    private static final class Load {
        private static final byte[] BODY = "x".repeat(16 * 1024).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);

        Load(InetSocketAddress proxy, int clients) {
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(() -> run(proxy), "load-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void run(InetSocketAddress proxy) {
            RawHttp client = null;
            int n = 0;
            while (running.get() && System.nanoTime() < deadline) {
                boolean post = n++ % 2 == 1;
                try {
                    if (client == null) {
                        client = new RawHttp(proxy);
                    }
                    RawHttp.Response r;
                    if (post) {
                        client.send("POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: " + BODY.length + "\r\n\r\n"
                                + new String(BODY, 0, BODY.length / 2, java.nio.charset.StandardCharsets.US_ASCII));
                        Thread.yield();
                        r = client.send(new String(BODY, BODY.length / 2, BODY.length - BODY.length / 2,
                                java.nio.charset.StandardCharsets.US_ASCII)).read();
                    } else {
                        r = client.send(GET).read();
                    }
                    if (r.status() != 200 || post && !r.body().equals(Integer.toString(BODY.length))) {
                        failures.add((post ? "POST " : "GET ") + r.status() + " " + r.body().strip());
                    }
                    answered.incrementAndGet();
                    if ("close".equalsIgnoreCase(r.header("connection"))) {
                        client.close();
                        client = null;
                    }
                } catch (IOException | RuntimeException e) {
                    failures.add((post ? "POST " : "GET ") + "cut: " + e);
                    closeQuietly(client);
                    client = null;
                }
            }
            closeQuietly(client);
        }

        private static void closeQuietly(RawHttp client) {
            if (client != null) {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        void awaitAnswered(int n) throws InterruptedException {
            Eventually.until(Duration.ofSeconds(30), n + " answered", () -> answered.get() >= n);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
    }
}
