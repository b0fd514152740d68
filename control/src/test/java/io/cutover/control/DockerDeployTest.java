package io.cutover.control;

import io.cutover.control.admin.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.cutover.proxy.RawHttp;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.Transferable;

/**
 * The deploy flow with the Docker runtime, on a real engine. Images are built here, FROM scratch
 * with a static busybox (no registry is needed): httpd answers the version on / and 200 on /up.
 * Without a Docker engine these tests fail; they never skip.
 */
class DockerDeployTest extends DeployFlowTest {
    private static final String REPO = "cutover-test/app:";
    private static final String SERVE = "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www";
    private static DockerClient docker;

    @BeforeAll
    static void buildImages() {
        docker = DockerClientFactory.instance().client();
        build("v1", "v1", true, SERVE);
        build("v2", "v2", true, SERVE);
        build("v3", "v3", true, SERVE);
        build("sick", "sick", false, SERVE);
        build("exits", "never", true, "echo boom: no config >&2; exit 3");
        build("slow-v2", "v2", true, "sleep 3; " + SERVE);
        // GET /cgi-bin/crash kills the server: its restart policy brings the container back
        new ImageFromDockerfile(REPO + "crashable-v1", false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withFileFromString("www/index.html", "v1\n")
                .withFileFromString("www/up", "ok\n")
                .withFileFromTransferable("www/cgi-bin/crash", Transferable.of(
                        // its parent serves this connection; the grandparent is the server
                        "#!/bin/sh\nread -r _ _ _ server _ < /proc/$PPID/stat\nkill -9 $server\n", 0755))
                .withDockerfileFromBuilder(b -> b.from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .copy("busybox", "/bin/sh")
                        .copy("www", "/www")
                        .cmd("/bin/busybox", "sh", "-c", SERVE)
                        .build())
                .get();
        cgi("cgi-v1", 0);
        cgi("cgi-v2-flaky", 5);
    }

    /**
     * An app whose /cgi-bin/app answers its version, and 500 to every {@code failEvery}-th request
     * (0: never), counted in a file.
     */
    private static void cgi(String tag, int failEvery) {
        String script = "#!/bin/sh\n"
                + "read n < /tmp/n; n=$((n + 1)); echo $n > /tmp/n\n"
                + (failEvery > 0 ? "if [ $((n % " + failEvery + ")) -eq 0 ]; then "
                        + "printf 'HTTP/1.1 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\n" + tag
                        + "'; exit 0; fi\n" : "")
                + "printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n" + tag + "'\n";
        new ImageFromDockerfile(REPO + tag, false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withFileFromString("www/index.html", tag + "\n")
                .withFileFromString("www/up", "ok\n")
                .withFileFromString("tmp/n", "0\n")
                .withFileFromTransferable("www/cgi-bin/app", Transferable.of(script, 0755))
                .withDockerfileFromBuilder(b -> b.from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .copy("busybox", "/bin/sh")
                        .copy("www", "/www")
                        .copy("tmp", "/tmp")
                        .cmd("/bin/busybox", "sh", "-c", SERVE)
                        .build())
                .get();
    }

    private static void build(String tag, String version, boolean healthy, String script) {
        ImageFromDockerfile image = new ImageFromDockerfile(REPO + tag, false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withFileFromString("www/index.html", version + "\n")
                .withFileFromString("www/" + (healthy ? "up" : "down"), "ok\n")
                .withDockerfileFromBuilder(b -> b.from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .copy("www", "/www")
                        .cmd("/bin/busybox", "sh", "-c", script)
                        .build());
        image.get();
    }

    @Override
    Map<String, Object> runtimeConfig() {
        return Map.of(
                "cutover.app.runtime", "docker",
                "cutover.app.network", "host",
                "cutover.app.pull", "never",
                "cutover.app.stop-timeout", "2s");     // restart: the default, unless-stopped
    }

    private static Map<String, Object> image(String tag) {
        return Map.of("image", REPO + tag);
    }

    @Override
    Map<String, Object> version(String v) {
        return image(v);
    }

    @Override
    Map<String, Object> failingHealth() {
        return image("sick");
    }

    @Override
    Map<String, Object> exitingAtOnce() {
        return image("exits");
    }

    @Override
    Map<String, Object> slowToStart(String v) {
        return image("slow-" + v);
    }

    @Test
    void aMissingImageFailsAtOnceNamingItAndTrafficStays() throws Exception {
        TestCutover c = cutover();
        c.admin("POST", "/v1/deploy", "{\"image\": \"" + REPO + "v1\"}");
        awaitBody(c, "v1");
        HttpResponse<String> accepted = c.admin("POST", "/v1/deploy", "{\"image\": \"cutover-test/nope:1\"}");
        String id = Json.mapper().readTree(accepted.body()).get("id").asText();
        JsonNode failed = awaitDone(c, id);
        assertEquals("failed", failed.get("state").asText());
        assertTrue(failed.get("error").asText().contains("image cutover-test/nope:1 is not present"), failed.toString());
        assertEquals("v1", c.get("/").body().trim());
    }

    @Test
    void aVersionItsRestartPolicyBroughtBackOnceStillCountsAsRunningAndIsStoppedToFreeItsPort() throws Exception {
        cutover().close();
        Map<String, Object> conf = new java.util.HashMap<>(config());
        conf.put("cutover.app.keep-previous", "running");
        TestCutover c = TestCutover.start(conf);
        replaceCutover(c);
        String v1 = deployed(c, "crashable-v1");
        deployed(c, "v2");                                  // v1 is kept running, on blue
        Container blue = mine().stream().filter(x -> v1.equals(x.getLabels().get("io.cutover.deploy-id")))
                .findFirst().orElseThrow();
        int port = Integer.parseInt(c.status().get("app").get("previous").get("target").asText().split(":")[1]);
        // once, on a plain socket: an HTTP client may send a GET again when its connection dies
        try (RawHttp crash = new RawHttp(new java.net.InetSocketAddress("127.0.0.1", port))) {
            crash.send("GET /cgi-bin/crash HTTP/1.1\r\nHost: a\r\n\r\n").read();
        } catch (java.io.IOException expected) {
            // the server died mid-answer
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!backOnce(blue.getId())) {
            assertTrue(System.nanoTime() < deadline, "the restart policy never brought v1 back");
            Thread.sleep(50);
        }
        awaitRunning(c);     // it crashed once and runs again: running, not "keeps exiting"
        JsonNode v3 = awaitDone(c, Json.mapper().readTree(
                c.admin("POST", "/v1/deploy", "{\"image\": \"" + REPO + "v3\"}").body()).get("id").asText());
        assertEquals("succeeded", v3.get("state").asText(), v3.toString());
        assertEquals("v3", c.get("/").body().trim());
    }

    @Test
    void aCanaryContainerThatAnswers500ToAFifthOfItsRequestsIsAbortedByItselfAndTheStableOneKeepsServing()
            throws Exception {
        cutover().close();
        Map<String, Object> conf = new java.util.HashMap<>(config());
        conf.put("cutover.app.canary.min-requests", "20");
        conf.put("cutover.app.canary.progress-deadline", "30s");
        conf.put("cutover.app.canary.latency-floor", "10s");    // errors decide: CGI forks are slow and noisy
        TestCutover c = TestCutover.start(conf);
        replaceCutover(c);
        String stable = deployed(c, "cgi-v1");
        java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + c.cutover().proxyAddress().getPort() + "/cgi-bin/app");
        java.net.http.HttpClient http = io.cutover.proxy.TestHttp.client();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.Map<String, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.List<Thread> clients = new java.util.ArrayList<>();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int t = 0; t < 3; t++) {
            int client = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; !stop.get() && System.nanoTime() < until; i++) {
                    try {
                        HttpResponse<String> r = http.send(io.cutover.proxy.TestHttp.request(uri)
                                .header("X-Forwarded-For", "10.7." + client + "." + (i % 250)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        answers.merge(r.statusCode() + " " + r.body(), 1, Integer::sum);
                        if (r.statusCode() != 200 && !r.body().equals("cgi-v2-flaky")) {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (java.io.IOException e) {
                        failures.add(e.toString());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.setDaemon(true);
            clients.add(thread);
            thread.start();
        }
        try {
            HttpResponse<String> accepted = c.admin("POST", "/v1/deploy", "{\"image\": \"" + REPO + "cgi-v2-flaky\", "
                    + "\"canary\": [20, 50, 100], \"canaryIntervalMs\": 2000}");
            JsonNode done = awaitDone(c, Json.mapper().readTree(accepted.body()).get("id").asText());
            assertEquals("failed", done.get("state").asText(), done.toString());
            assertTrue(done.get("error").asText().startsWith("canary aborted: errors worse than the stable version's at 20%: errors "),
                    done.toString());
            assertEquals(List.of(stable), runs(), "the candidate's container is gone; the stable one was never touched");
            assertEquals(List.of(stable), running());
        } finally {
            stop.set(true);
            for (Thread t : clients) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        assertEquals(List.of(), List.copyOf(failures), "nothing failed but the canary's own 500s: " + answers);
        assertTrue(answers.getOrDefault("500 cgi-v2-flaky", 0) > 0 && answers.getOrDefault("200 cgi-v1", 0) > 0,
                answers.toString());
        assertEquals("cgi-v1", c.get("/cgi-bin/app").body());
    }

    /** Restarted once and running again (Docker also reports "running" while it waits to restart). */
    private boolean backOnce(String id) {
        InspectContainerResponse i = docker.inspectContainerCmd(id).exec();
        return Integer.valueOf(1).equals(i.getRestartCount()) && Boolean.TRUE.equals(i.getState().getRunning())
                && !Boolean.TRUE.equals(i.getState().getRestarting());
    }

    private void awaitRunning(TestCutover c) throws Exception {
        // the watcher asks Docker every 2 s, and a busy engine answers slowly
        io.cutover.proxy.Eventually.until(java.time.Duration.ofSeconds(30), "status to see v1 running again",
                () -> c.status().get("app").get("previous").get("running").asText().equals("running"));
    }

    private String deployed(TestCutover c, String tag) throws Exception {
        JsonNode done = awaitDone(c, Json.mapper().readTree(
                c.admin("POST", "/v1/deploy", "{\"image\": \"" + REPO + tag + "\"}").body()).get("id").asText());
        assertEquals("succeeded", done.get("state").asText(), done.toString());
        return done.get("id").asText();
    }

    private List<Container> mine() {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("io.cutover.app", appName)).exec();
    }

    @Override
    List<String> runs() {
        return mine().stream().map(c -> c.getLabels().get("io.cutover.deploy-id")).toList();
    }

    @Override
    List<String> running() {
        return mine().stream().filter(c -> "running".equals(c.getState()))
                .map(c -> c.getLabels().get("io.cutover.deploy-id")).toList();
    }

    @Override
    void removeAll() {
        for (Container c : mine()) {
            docker.removeContainerCmd(c.getId()).withForce(true).exec();
        }
    }
}
