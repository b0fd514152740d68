package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shadow traffic before a deploy's switch: the healthy candidate gets copies of a share of the
 * live version's GET requests, the comparison is a step, and with fail-on-errors a candidate that
 * does worse is removed before it ever takes a request. A fake runtime "runs" v1 and v2 on the
 * app's two ports, where test backends answer; clients keep sending requests all along.
 */
class ShadowDeployTest {
    @TempDir
    java.nio.file.Path dir;

    private final FakeRuntime runtime = new FakeRuntime();
    private TestBackend v1;
    private TestBackend v2;
    private TestCutover cutover;
    private Load load;

    @BeforeEach
    void start() throws Exception {
        v1 = TestBackend.start("v1");
        v2 = TestBackend.start("v2");
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.app.name", "shop",
                "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port()),
                "cutover.health.path", "/health",
                "cutover.drain.deadline", "10s",
                "cutover.state-dir", dir.toString(),
                // every deploy with a live version is shadowed at half its GETs for 2 s
                "cutover.app.shadow.share", "50%",
                "cutover.app.shadow.duration", "2s"));
        cutover = TestCutover.start(c, s -> runtime);
        JsonNode first = cutover.awaitDeploy(deploy("v1", ""));
        assertEquals("succeeded", first.get("state").asText());
        assertEquals(List.of(), steps(first, "shadow started"), "the first version has no live version to shadow");
    }

    @AfterEach
    void stop() throws Exception {
        if (load != null) {
            load.stop();
        }
        cutover.close();
        v1.close();
        v2.close();
    }

    private String deploy(String v, String more) throws Exception {
        return cutover.deploy(null, "{\"command\": [\"" + v + "\"]" + more + "}");
    }

    private static List<String> steps(JsonNode d, String name) {
        List<String> out = new ArrayList<>();
        d.get("steps").forEach(s -> {
            if (s.get("name").asText().equals(name)) {
                out.add(s.get("detail").asText());
            }
        });
        return out;
    }

    /** Clients sending GETs until stopped (at most a minute); records who answered, and any failure. */
    private final class Load {
        final Map<String, Integer> answeredBy = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch done;

        Load(int clients) {
            done = new CountDownLatch(clients);
            HttpClient http = TestHttp.client();
            URI uri = URI.create("http://127.0.0.1:" + cutover.cutover().proxyAddress().getPort() + "/");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    try {
                        while (!stop.get() && System.nanoTime() < until) {
                            try {
                                HttpResponse<String> r = http.send(TestHttp.request(uri).build(),
                                        HttpResponse.BodyHandlers.ofString());
                                answeredBy.merge(r.statusCode() + " " + r.body(), 1, Integer::sum);
                                if (r.statusCode() != 200) {
                                    failures.add(r.statusCode() + " " + r.body());
                                }
                            } catch (IOException e) {
                                failures.add(e.toString());
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }, "shadow-load-" + c);
                t.setDaemon(true);
                t.start();
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            assertTrue(done.await(30, TimeUnit.SECONDS), "the load stopped");
        }
    }

    @Test
    void aShadowedDeployReportsTheComparisonAsAStepBeforeItsSwitch() throws Exception {
        load = new Load(2);
        JsonNode d = cutover.awaitDeploy(deploy("v2", ""));
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        List<String> names = new ArrayList<>();
        d.get("steps").forEach(s -> names.add(s.get("name").asText()));
        int healthy = names.indexOf("healthy");
        int started = names.indexOf("shadow started");
        int shadow = names.indexOf("shadow");
        int switched = names.indexOf("switched");
        assertTrue(healthy < started && started < shadow && shadow < switched, "between the health gate and the switch: "
                + names);
        assertTrue(steps(d, "shadow started").get(0).startsWith("50% of GET and HEAD requests copied to "
                + v2.target() + " for 2 s"), d.toString());
        String report = steps(d, "shadow").get(0);
        assertTrue(report.matches("\\d+ requests copied, 0 dropped; compared (\\d+): same status class \\1 "
                + "\\(2xx \\1/\\1\\); 5xx or no answer 0 vs live 0; p99 .* ms vs live .* ms.*"), report);
        assertFalse(report.contains("compared 0"), "the copies were answered and compared: " + report);
        assertTrue(v2.seen().contains("GET /"), "the candidate got copies of the clients' GETs");
        load.stop();
        assertEquals(List.of(), List.copyOf(load.failures));
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());
    }

    @Test
    void withFailOnErrorsACandidateAnswering500IsRemovedAndEveryClientIsAnsweredByTheLiveVersion() throws Exception {
        v2.failEvery(1);        // every request but its health checks answered 500
        load = new Load(2);
        JsonNode d = cutover.awaitDeploy(deploy("v2",
                ", \"shadow\": \"100%\", \"shadowDurationMs\": 30000, \"shadowFailOnErrors\": true"));
        assertEquals("failed", d.get("state").asText(), d.toString());
        String error = d.get("error").asText();
        assertTrue(error.startsWith("shadow: the candidate answered worse than the live version to the same requests"),
                error);
        assertTrue(error.contains("reached the abort bound"), error);
        String report = steps(d, "shadow").get(0);
        assertTrue(report.matches(".*compared (\\d+): same status class 0 \\(2xx 0/\\1\\); 5xx or no answer \\1 vs live 0.*"),
                report);
        assertEquals(1, steps(d, "candidate removed").size(), d.toString());
        assertEquals(List.of(), steps(d, "switched"), "traffic never moved");
        load.stop();
        assertEquals(List.of(), List.copyOf(load.failures), "no client saw the candidate's 500s");
        assertEquals(Map.of("200 v1", load.answeredBy.get("200 v1")), Map.copyOf(load.answeredBy));
        assertTrue(runtime.removed.stream().anyMatch(i -> i.release().describe().equals("v2")), "the candidate was removed");
        assertEquals(v1.target().toString(), cutover.status().get("active").asText());
        assertEquals("v1", cutover.get("/").body());
    }

    @Test
    void aBadShadowShareIsRefusedBeforeAnythingStarts() throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v2\"], \"shadow\": \"150%\"}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("shadow: a share must be 0-100%"), r.body());
        assertEquals(1, runtime.started.size(), "nothing started but v1");
    }
}
