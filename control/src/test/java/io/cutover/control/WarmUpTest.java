package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new version warmed up before it takes traffic: a fake runtime "runs" v1 and v2 on the app's
 * two ports, where backends on port 0 record every request they get, in order.
 */
class WarmUpTest {
    @TempDir
    java.nio.file.Path dir;

    private final FakeRuntime runtime = new FakeRuntime();
    private final HttpClient http = TestHttp.client();
    private Version v1;
    private Version v2;
    private TestCutover cutover;

    /** One request a version got: its target, and its header names and values. */
    record Seen(String target, Map<String, List<String>> headers) {
        boolean warmUp() {
            return headers.containsKey("X-cutover-warm-up");
        }
    }

    /** A version: answers its name on every path (or {@link #status} but on /up), and records what it got. */
    static final class Version implements AutoCloseable {
        final String name;
        final HttpServer server;
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        volatile int status = 200;
        /** Once set, the health check fails after the first warm-up request. */
        volatile boolean sickAfterWarmUp;

        Version(String name) throws IOException {
            this.name = name;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::handle);
            server.start();
        }

        private void handle(HttpExchange ex) throws IOException {
            String target = ex.getRequestURI().toString();
            Seen request = new Seen(target, new HashMap<>(ex.getRequestHeaders()));
            boolean health = ex.getRequestURI().getPath().equals("/up");
            if (!health || request.warmUp()) {
                seen.add(request);      // all but the health checks
            }
            int s = health ? (sickAfterWarmUp && seen.stream().anyMatch(Seen::warmUp) ? 503 : 200) : status;
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(s, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        }

        int port() {
            return server.getAddress().getPort();
        }

        List<Seen> warmUps() {
            return seen.stream().filter(Seen::warmUp).toList();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @BeforeEach
    void start() throws Exception {
        v1 = new Version("v1");
        v2 = new Version("v2");
        cutover = TestCutover.start(Map.of(
                "cutover.app.name", "warm",
                "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port()),
                "cutover.app.warm-up", "40",
                "cutover.health.path", "/up",
                "cutover.drain.deadline", "5s",
                "cutover.state-dir", dir.toString()), s -> runtime);
    }

    @AfterEach
    void stop() {
        if (cutover != null) {
            cutover.close();
        }
        v1.close();
        v2.close();
    }

    private JsonNode deploy(String body) throws Exception {
        return cutover.awaitDeploy(cutover.deploy(null, body));
    }

    private static List<String> stepNames(JsonNode d) {
        List<String> names = new ArrayList<>();
        d.get("steps").forEach(s -> names.add(s.get("name").asText()));
        return names;
    }

    private static String step(JsonNode d, String name) {
        for (JsonNode s : d.get("steps")) {
            if (s.get("name").asText().equals(name)) {
                return s.get("detail").asText();
            }
        }
        throw new AssertionError("no step " + name + " in " + d);
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        var r = TestHttp.request(cutover.proxyUri(path));
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCandidateGetsItsWarmUpOnSampledPathsBeforeItTakesAnyClientRequest() throws Exception {
        assertEquals("succeeded", deploy("{\"command\": [\"v1\"]}").get("state").asText());
        for (int i = 0; i < 5; i++) {
            assertEquals("v1", get("/catalog").body());
            assertEquals("v1", get("/search?q=shoes&token=s3cret").body());
            assertEquals("v1", get("/account", "Cookie", "session=s3cret").body());
            assertEquals("v1", get("/orders", "Authorization", "Bearer s3cret").body());
        }

        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Integer> load = CompletableFuture.supplyAsync(() -> {
            int sent = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            try {
                // both paths: the sample keeps 1 in 8 once full, and a load of /catalog alone could
                // push every /search out of it before the deploy's warm-up reads it
                while (!stop.get() && System.nanoTime() < deadline) {
                    get(sent % 2 == 0 ? "/catalog" : "/search?q=boots");
                    sent++;
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
            return sent;
        });
        JsonNode second;
        try {
            second = deploy("{\"command\": [\"v2\"]}");
            Eventually.until(Duration.ofSeconds(10), "a client request on v2",
                    () -> v2.seen.stream().anyMatch(s -> !s.warmUp()));
        } finally {
            stop.set(true);
        }
        assertTrue(load.get(30, TimeUnit.SECONDS) > 0);
        assertEquals("succeeded", second.get("state").asText(), second.toString());

        List<Seen> seen = List.copyOf(v2.seen);
        List<Seen> warmUps = v2.warmUps();
        assertEquals(40, warmUps.size(), "the count asked for");
        assertEquals(warmUps, seen.subList(0, 40), "every warm-up request came before the first client request");
        assertEquals(Set.of("/catalog", "/search"), new HashSet<>(warmUps.stream().map(Seen::target).toList()),
                "sampled live GET paths, without their queries, never those sent with credentials");
        for (Seen s : warmUps) {
            assertEquals(new TreeSet<>(List.of("Host", "X-cutover-warm-up")), new TreeSet<>(s.headers().keySet()),
                    "no client header, only Host and the warm-up's own");
            assertEquals(List.of("1"), s.headers().get("X-cutover-warm-up"));
        }
        List<String> steps = stepNames(second);
        assertTrue(steps.indexOf("healthy") < steps.indexOf("warm-up")
                && steps.indexOf("warm-up") < steps.indexOf("switched"), steps.toString());
        String detail = step(second, "warm-up");
        assertTrue(detail.startsWith("40 requests in ") && detail.contains(", 40 2xx; p99 first 40: ")
                && detail.contains("; on ") && detail.contains(" sampled paths (2 different)"), detail);
        assertEquals(0, second.get("warnings").size(), second.toString());
    }

    @Test
    void withNoSampleYetTheWarmUpGoesToTheHealthPath() throws Exception {
        JsonNode first = deploy("{\"command\": [\"v1\"]}");
        assertEquals("succeeded", first.get("state").asText(), first.toString());
        assertEquals(40, v1.warmUps().size());
        assertEquals(Set.of("/up"), new HashSet<>(v1.warmUps().stream().map(Seen::target).toList()));
        String detail = step(first, "warm-up");
        assertTrue(detail.startsWith("40 requests in ") && detail.contains(", 40 2xx")
                && detail.endsWith("; on the health path /up"), detail);
    }

    @Test
    void aCandidateAnswering500ToItsWarmUpIsStillDeployedWithAWarning() throws Exception {
        deploy("{\"command\": [\"v1\"]}");
        get("/catalog");
        v2.status = 500;
        JsonNode second = deploy("{\"command\": [\"v2\"], \"warmUp\": 20}");
        assertEquals("succeeded", second.get("state").asText(), second.toString());
        assertEquals(20, v2.warmUps().size());
        assertTrue(step(second, "warm-up").contains("20 requests in ") && step(second, "warm-up").contains(", 20 5xx"),
                second.toString());
        assertEquals(1, second.get("warnings").size(), second.toString());
        assertTrue(second.get("warnings").get(0).asText().startsWith("warm-up: 20 of 20 requests got a 5xx or no answer"),
                second.toString());
        assertEquals("v2", get("/catalog").body());
    }

    @Test
    void aCandidateThatFailsItsHealthCheckAfterItsWarmUpIsNotSwitchedTo() throws Exception {
        deploy("{\"command\": [\"v1\"]}");
        get("/catalog");
        v2.sickAfterWarmUp = true;
        JsonNode second = deploy("{\"command\": [\"v2\"], \"warmUp\": \"1s\"}");
        assertEquals("failed", second.get("state").asText(), second.toString());
        assertTrue(second.get("error").asText().contains("after its warm-up"), second.toString());
        assertTrue(v2.warmUps().size() > 0);
        assertTrue(!stepNames(second).contains("switched"), second.toString());
        assertEquals("v1", get("/catalog").body());
    }

    @Test
    void aDeployAskingForANegativeCountOrABadDurationIsRefusedWith400() throws Exception {
        for (String warmUp : List.of("-5", "\"-5\"", "\"20 parsecs\"", "\"0s\"", "\"-2s\"", "\"11m\"", "2000000",
                "true")) {
            HttpResponse<String> r = cutover.admin("POST", "/v1/deploy",
                    "{\"command\": [\"v2\"], \"warmUp\": " + warmUp + "}");
            assertEquals(400, r.statusCode(), warmUp + ": " + r.body());
            assertTrue(r.body().contains("warm"), r.body());
        }
        assertEquals(List.of(), runtime.started, "nothing was deployed");
    }
}
