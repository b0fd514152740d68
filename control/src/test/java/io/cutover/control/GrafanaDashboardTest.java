package io.cutover.control;

import io.cutover.control.admin.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import io.cutover.proxy.TestPorts;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard in examples/grafana works: a real Prometheus (on loopback) scrapes a
 * running cutover while requests flow and two deploys happen, then every query of every panel,
 * sent to Prometheus's HTTP API, answers data without an error. Without a `prometheus` binary the
 * test fails (bin/test installs it).
 */
class GrafanaDashboardTest {
    private static final Path DASHBOARD = Path.of("..", "examples", "grafana", "cutover.json");

    @TempDir
    Path dir;

    private final HttpClient http = TestHttp.client();

    @Test
    @Timeout(150)
    void everyPanelQueryAnswersDataFromARealPrometheusScrapingCutover() throws Exception {
        JsonNode dashboard = Json.mapper().readTree(DASHBOARD.toFile());
        FakeRuntime runtime = new FakeRuntime();
        try (TestBackend v1 = TestBackend.start("v1"); TestBackend v2 = TestBackend.start("v2")) {
            v2.failEvery(10);   // some 5xx: the error-rate panel has something to divide
            Map<String, Object> config = new HashMap<>(Map.of("cutover.app.name", "shop",
                    "cutover.app.runtime", "process", "cutover.app.ports", List.of(v1.port(), v2.port()),
                    "cutover.health.path", "/health", "cutover.state-dir", dir.toString()));
            try (TestCutover c = TestCutover.start(config, s -> runtime);
                 Prometheus prometheus = Prometheus.start(dir, c.cutover().adminAddress().getPort())) {
                AtomicBoolean stop = new AtomicBoolean();
                Thread load = new Thread(() -> {
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (!stop.get() && System.nanoTime() < until) {
                        try {
                            c.get("/");
                        } catch (Exception e) {
                            return;
                        }
                    }
                });
                load.setDaemon(true);
                load.start();
                try {
                    assertEquals("succeeded", c.awaitDeploy(c.deploy(null, "{\"command\": [\"v1\"]}")).get("state").asText());
                    System.gc();    // a GC pause for the GC panel
                    Thread.sleep(3000);
                    assertEquals("succeeded", c.awaitDeploy(c.deploy(null, "{\"command\": [\"v2\"]}")).get("state").asText());
                    prometheus.awaitScrapes(8);
                    // series that appeared with the last deploy need a few scrapes before rate() sees them:
                    // each query is asked until it has data (bounded), and must never answer an error
                    List<String> empty = new ArrayList<>();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    for (JsonNode panel : dashboard.get("panels")) {
                        for (JsonNode target : panel.get("targets")) {
                            String query = target.get("expr").asText().replace("$__rate_interval", "15s")
                                    .replace("$__range", "5m").replace("$app", ".*");
                            JsonNode answer = prometheus.query(query);
                            while (answer.path("data").path("result").isEmpty() && System.nanoTime() < deadline) {
                                assertEquals("success", answer.get("status").asText(), query + ": " + answer);
                                Thread.sleep(250);
                                answer = prometheus.query(query);
                            }
                            assertEquals("success", answer.get("status").asText(), query + ": " + answer);
                            if (answer.get("data").get("result").isEmpty()) {
                                empty.add(panel.get("title").asText() + ": " + query);
                            }
                        }
                    }
                    assertEquals(List.of(), empty, "every panel's query has data");
                    JsonNode apps = prometheus.get("/api/v1/label/app/values?match[]=cutover_requests_seconds_count");
                    assertTrue(apps.get("data").toString().contains("\"shop\""), "the app variable lists the app: " + apps);
                } finally {
                    stop.set(true);
                    load.join(10_000);
                }
            }
        }
    }

    /** A Prometheus on loopback, scraping one cutover's admin port every second. */
    private static final class Prometheus implements AutoCloseable {
        private final Process process;
        private final int port;
        private final Path log;
        private final HttpClient http = TestHttp.client();

        private Prometheus(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Prometheus start(Path dir, int adminPort) throws Exception {
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    + "scrape_configs:\n  - job_name: cutover\n"
                    // the admin API's token, read from the file cutover made (as the README tells)
                    + "    authorization:\n      credentials_file: '" + dir.resolve("admin-token") + "'\n"
                    + "    static_configs:\n"
                    + "      - targets: ['127.0.0.1:" + adminPort + "']\n");
            int port = TestPorts.free();
            Path log = dir.resolve("prometheus.log");
            Process p;
            try {
                p = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                        .redirectErrorStream(true).redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            } catch (IOException e) {
                throw new AssertionError("no prometheus binary: install the Debian package prometheus "
                        + "(bin/test does) to run the dashboard's test", e);
            }
            Prometheus prometheus = new Prometheus(p, port, log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!prometheus.ready()) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    prometheus.close();
                    fail("prometheus did not start; its log:\n" + Files.readString(log));
                }
                Thread.sleep(100);
            }
            return prometheus;
        }

        private boolean ready() {
            try {
                return http.send(TestHttp.request(uri("/-/ready")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        private URI uri(String pathAndQuery) {
            return URI.create("http://127.0.0.1:" + port + pathAndQuery);
        }

        JsonNode get(String pathAndQuery) throws Exception {
            return Json.mapper().readTree(http.send(TestHttp.request(uri(pathAndQuery)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        }

        JsonNode query(String promql) throws Exception {
            return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        }

        /** Waits until the cutover target was scraped successfully {@code n} times. */
        void awaitScrapes(int n) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                JsonNode r = query("sum_over_time(up{job=\"cutover\"}[5m])").get("data").get("result");
                if (!r.isEmpty() && r.get(0).get("value").get(1).asDouble() >= n) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, "prometheus scraped too few times; its log:\n" + Files.readString(log));
                Thread.sleep(250);
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
