package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Shadow traffic: copies of a share of the active version's GET and HEAD requests go to a
 * candidate, whose answers are compared and thrown away; clients only ever get the active
 * version's answers.
 */
class ShadowTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Longer than a client's read timeout: a client that waited for a copy would fail its read first. */
    private static final Duration COPY_TIMEOUT = Duration.ofSeconds(50);

    private TestBackend live;
    private TestProxy proxy;
    private AppRouter app;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        live = TestBackend.start("live");
        proxy = TestProxy.start();
        proxy.switchTo(live.target());
        app = proxy.server().router().app(Router.DEFAULT_APP);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        live.close();
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private Shadow shadow(Target candidate, int percent, int maxInFlight) {
        Backend b = proxy.server().newBackend(Router.DEFAULT_APP, candidate, candidate.resolve(), "candidate");
        Shadow s = new Shadow(b, percent * 100, maxInFlight, COPY_TIMEOUT);
        app.shadow(s);
        return s;
    }

    private static RawHttp.Response get(RawHttp raw, String path) throws Exception {
        return raw.send("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n").read();
    }

    /** What a client can see of an answer but its Date: status, body and header names. */
    private static String seen(RawHttp.Response r) {
        TreeSet<String> names = new TreeSet<>(r.headers().keySet());
        names.remove("date");
        return r.status() + " " + names + " " + r.body();
    }

    @Test
    void atTenPercentEveryTenthGetOrHeadIsCopiedMarkedAndComparedUntilTheShadowIsCleared() throws Exception {
        TestBackend candidate = TestBackend.start("candidate");
        closing.add(candidate);
        Shadow s = shadow(candidate.target(), 10, 8);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int i = 1; i <= 50; i++) {
                String path = i == 10 ? "/headers" : "/x" + i;
                if (i == 20) {
                    assertEquals(200, raw.send("HEAD /h HTTP/1.1\r\nHost: shop\r\n\r\n").read().status());
                } else {
                    assertEquals(200, get(raw, path).status());
                }
            }
            Eventually.until(WAIT, "5 compared copies", () -> s.stats().snapshot().compared() == 5);
            // sorted: each copy goes on a connection of its own, taken by whichever server thread is free
            assertEquals(List.of("GET /headers", "GET /x30", "GET /x40", "GET /x50", "HEAD /h"),
                    candidate.seen().stream().sorted().toList());
            ShadowStats.Snapshot stats = s.stats().snapshot();
            assertEquals(5, stats.copied());
            assertEquals(0, stats.dropped());
            assertEquals(5, stats.sameClass());
            assertEquals(5, stats.pairs()[2][2]);
            assertTrue(stats.describe().startsWith("5 requests copied, 0 dropped; compared 5: same status class 5 "
                    + "(2xx 5/5); 5xx or no answer 0 vs live 0; p99 "), stats.describe());

            assertEquals(s, app.shadow(null), "clearing returns the shadow it ends");
            for (int i = 0; i < 30; i++) {
                assertEquals("live", get(raw, "/after").body());
            }
        }
        assertEquals(5, candidate.seen().size(), "no copy once the shadow is cleared");
        assertEquals(5, s.stats().snapshot().copied());
    }

    @Test
    void aCopyCarriesTheShadowHeaderAndTheClientsHeadersButNotItsHopByHopOnes() throws Exception {
        ScriptedBackend candidate = ScriptedBackend.start((socket, b) -> {
            String head = ScriptedBackend.readHead(socket.getInputStream());
            String body = head == null ? "" : head.toLowerCase();
            heads.add(body);    // before answering: the comparison the test waits for follows the answer
            ScriptedBackend.write(socket, "HTTP/1.1 200 OK\r\ncontent-length: " + body.length() + "\r\n\r\n" + body);
        });
        closing.add(candidate);
        Shadow s = shadow(candidate.target(), 100, 8);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            raw.send("GET /p?q=1 HTTP/1.1\r\nHost: shop\r\nAccept: text/html\r\nKeep-Alive: timeout=5\r\n"
                    + "Connection: keep-alive, X-Secret\r\nX-Secret: s\r\n\r\n");
            assertEquals("live", raw.read().body());
        }
        Eventually.until(WAIT, "the copy compared", () -> s.stats().snapshot().compared() == 1);
        String head = heads.get(0);
        assertTrue(head.startsWith("get /p?q=1 http/1.1\r\n"), head);
        assertTrue(head.contains("\r\nx-cutover-shadow: 1\r\n") && head.contains("\r\naccept: text/html\r\n")
                && head.contains("\r\nhost: shop\r\n") && head.contains("\r\nconnection: close\r\n"), head);
        assertTrue(!head.contains("keep-alive") && !head.contains("x-secret"), head);
    }

    private final List<String> heads = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Test
    void requestsWithABodyAndMethodsOtherThanGetAndHeadAreNeverCopied() throws Exception {
        TestBackend candidate = TestBackend.start("candidate");
        closing.add(candidate);
        Shadow s = shadow(candidate.target(), 100, 8);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("5", raw.send("POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello").read().body());
            assertEquals("5", raw.send("PUT /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello").read().body());
            assertEquals("live", raw.send("DELETE /x HTTP/1.1\r\nHost: shop\r\n\r\n").read().body());
            assertEquals("live", raw.send("POST /x HTTP/1.1\r\nHost: shop\r\nContent-Length: 0\r\n\r\n").read().body());
            assertEquals("live", raw.send("GET /with-body HTTP/1.1\r\nHost: shop\r\nContent-Length: 2\r\n\r\nhi").read().body());
            assertEquals("live", raw.send("GET /chunked HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "2\r\nhi\r\n0\r\n\r\n").read().body());
            assertEquals("live", get(raw, "/last").body());
        }
        Eventually.until(WAIT, "the last GET compared", () -> s.stats().snapshot().compared() == 1);
        assertEquals(List.of("GET /last"), candidate.seen(), "only the GET without a body was copied");
        assertEquals(1, s.stats().snapshot().copied());
    }

    /** A candidate that answers 500, resets, or never answers: each client of the live version gets exactly its answers. */
    @Test
    void aCandidateThatFailsResetsOrNeverAnswersNeverChangesAClientsAnswer() throws Exception {
        List<String> baseline = new ArrayList<>();
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (String path : new String[] {"/a", "/headers", "/stream?chunks=3&ms=1"}) {
                baseline.add(seen(get(raw, path)));
            }
        }
        ScriptedBackend.Script[] candidates = {
            (socket, b) -> {
                if (ScriptedBackend.readHead(socket.getInputStream()) != null) {
                    ScriptedBackend.write(socket, "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\nboom");
                }
            },
            (socket, b) -> {
                if (ScriptedBackend.readHead(socket.getInputStream()) != null) {
                    socket.setSoLinger(true, 0);     // closed with a reset
                }
            },
            (socket, b) -> {
                InputStream in = socket.getInputStream();
                while (in.read() != -1) {
                    // reads the copy and never answers, until the proxy closes the connection
                }
            },
        };
        int[] shadowClass = {5, 0, -1};
        for (int k = 0; k < candidates.length; k++) {
            ScriptedBackend candidate = ScriptedBackend.start(candidates[k]);
            closing.add(candidate);
            Shadow s = shadow(candidate.target(), 100, 64);
            for (int round = 0; round < 3; round++) {
                try (RawHttp raw = new RawHttp(proxy.address())) {      // a connection per round: some new, some reused
                    int i = 0;
                    for (String path : new String[] {"/a", "/headers", "/stream?chunks=3&ms=1"}) {
                        assertEquals(baseline.get(i++), seen(get(raw, path)), "candidate " + k + ", " + path);
                    }
                }
            }
            if (shadowClass[k] >= 0) {
                int cls = shadowClass[k];
                Eventually.until(WAIT, "9 copies compared", () -> s.stats().snapshot().pairs()[2][cls] == 9);
            } else {
                assertEquals(9, s.inFlight(), "copies the candidate never answered are still under way");
            }
            app.shadow(null);
            s.candidate().discard();       // what control does with a candidate it gives up: the copies' connections close
            Eventually.until(WAIT, "every copy ended", () -> s.inFlight() == 0);
        }
    }

    @Test
    void aSampledRequestBeyondTheCapOfCopiesUnderWayIsDroppedAndCounted() throws Exception {
        ScriptedBackend candidate = ScriptedBackend.start((socket, b) -> {
            InputStream in = socket.getInputStream();
            while (in.read() != -1) {
                // never answers
            }
        });
        closing.add(candidate);
        Shadow s = shadow(candidate.target(), 100, 2);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int i = 0; i < 10; i++) {
                assertEquals("live", get(raw, "/x").body());
            }
        }
        // counted as each request is routed, before its answer
        ShadowStats.Snapshot stats = s.stats().snapshot();
        assertEquals(2, stats.copied());
        assertEquals(8, stats.dropped());
        assertEquals(0, stats.compared());
        assertTrue(stats.describe().startsWith("2 requests copied, 8 dropped; compared 0"), stats.describe());
        Eventually.until(WAIT, "2 connections to the candidate", () -> candidate.connections() == 2);
        assertEquals(2, s.inFlight());
    }

    @Test
    void theSampleIsEveryKthEligibleRequestExactly() throws Exception {
        // 25%: every 4th; 0.01%: every 10,000th; 100%: every one
        int[][] shares = {{2500, 4}, {1, 10_000}, {10_000, 1}};
        for (int[] share : shares) {
            Backend b = proxy.server().newBackend(Router.DEFAULT_APP, live.target(), live.target().resolve(), "c");
            Shadow s = new Shadow(b, share[0], 1, COPY_TIMEOUT);
            Backend active = proxy.server().router().active();
            Forward f = active.forward(0);
            io.cutover.proxy.http.RequestHead head = io.cutover.proxy.http.HeadParser.parseRequest(
                    io.netty.buffer.Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                            java.nio.charset.StandardCharsets.US_ASCII));
            try {
                int sampled = 0;
                for (int n = 1; n <= 20_000; n++) {
                    if (s.sampled(head, f, active).shadow() != null) {
                        sampled++;
                        assertEquals(0, n % share[1], "request " + n + " at " + share[0] + " basis points");
                    }
                }
                assertEquals(20_000 / share[1], sampled);
                assertTrue(s.sampled(head, f, b).shadow() == null, "never a request not going to the active version");
            } finally {
                head.release();
            }
        }
    }
}
