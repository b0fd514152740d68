package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.cutover.control.admin.Json;
import io.cutover.control.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.Transferable;

/**
 * A service of a compose file deployed blue/green, on a real engine with the compose CLI
 * installed here (Debian's docker-compose 1.29; bin/test installs it). The project has the app
 * and a Redis-like service (busybox httpd answering PONG); the app answers only when it reaches
 * that service by its name on the project's network. Images are built here FROM scratch; nothing
 * is pulled. Without an engine or a compose CLI these tests fail; they never skip.
 */
class ComposeDeployTest {
    private static final String PROJECT = "cutovercomposetest";
    private static final String APP = "composeapp";
    private static final String REPO = "cutover-compose-test/app";
    private static final String SERVE = "[\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]";
    private static DockerClient docker;
    private static Path dir;
    private static Path composeFile;
    private static String redisId;
    private static String redisStartedAt;

    private TestCutover cutover;

    @BeforeAll
    static void project() throws Exception {
        docker = DockerClientFactory.instance().client();
        removeLeftovers();
        new ImageFromDockerfile("cutover-compose-test/redisish:1", false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withFileFromString("www/index.html", "PONG\n")
                .withDockerfileFromBuilder(b -> b.from("scratch").copy("busybox", "/bin/busybox").copy("www", "/www")
                        .entryPoint(SERVE).build())
                .get();
        app("v1");
        app("v2");
        // a version that cannot start: it says why on stderr and exits
        new ImageFromDockerfile(REPO + ":broken", false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withDockerfileFromBuilder(b -> b.from("scratch").copy("busybox", "/bin/busybox")
                        .entryPoint("[\"/bin/busybox\", \"sh\", \"-c\", "
                                + "\"echo broken: no route to $REDIS_HOST >&2; exit 3\"]").build())
                .get();
        dir = Files.createTempDirectory("cutover-compose");
        composeFile = Files.writeString(dir.resolve("docker-compose.yml"), """
                services:
                  app:
                    image: %s:v1
                    environment:
                      REDIS_HOST: redis
                    healthcheck:
                      test: ["CMD", "/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
                      interval: 1s
                      timeout: 2s
                      retries: 3
                    stop_grace_period: 3s
                    labels:
                      team: payments
                    profiles: [cutover]
                  redis:
                    image: cutover-compose-test/redisish:1
                    init: true
                """.formatted(REPO));
        compose("up", "-d", "redis");
        Container redis = docker.listContainersCmd().withLabelFilter(Map.of("com.docker.compose.project", PROJECT,
                "com.docker.compose.service", "redis")).exec().get(0);
        redisId = redis.getId();
        redisStartedAt = docker.inspectContainerCmd(redisId).exec().getState().getStartedAt();
    }

    /**
     * The app: GET or POST / runs a CGI that answers its version only if it reaches $REDIS_HOST:8080
     * (no wget -T: this static busybox crashes on it).
     */
    private static void app(String version) {
        String cgi = "#!/bin/sh\n"
                + "[ -n \"$CONTENT_LENGTH\" ] && /bin/busybox head -c \"$CONTENT_LENGTH\" > /dev/null\n"
                + "if [ \"$(/bin/busybox wget -q -O- http://$REDIS_HOST:8080/ 2>/dev/null)\" = PONG ]; then\n"
                + "  printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n" + version + "\\n'\n"
                + "else\n"
                + "  printf 'HTTP/1.1 503 Service Unavailable\\r\\nContent-Type: text/plain\\r\\n\\r\\nno redis\\n'\n"
                + "fi\n";
        new ImageFromDockerfile(REPO + ":" + version, false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withFileFromTransferable("www/cgi-bin/index.cgi", Transferable.of(cgi, 0755))
                .withDockerfileFromBuilder(b -> b.from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .copy("busybox", "/bin/sh")
                        .copy("www", "/www")
                        .entryPoint(SERVE)
                        .build())
                .get();
    }

    /** Containers a crashed earlier run left: the project's and the app's, by label. */
    private static void removeLeftovers() {
        List<Container> left = new ArrayList<>(docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("com.docker.compose.project", PROJECT)).exec());
        left.addAll(docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of("io.cutover.app", APP)).exec());
        for (Container c : left) {
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (com.github.dockerjava.api.exception.NotFoundException e) {
                // listed twice
            }
        }
        docker.listNetworksCmd().withNameFilter(PROJECT + "_default").exec()
                .forEach(n -> docker.removeNetworkCmd(n.getId()).exec());
    }

    @AfterEach
    void stopCutover() {
        if (cutover != null) {
            cutover.close();
        }
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of("io.cutover.app", APP)).exec()) {
            docker.removeContainerCmd(c.getId()).withForce(true).exec();
        }
    }

    @AfterAll
    static void downProject() throws Exception {
        if (composeFile != null) {
            compose("down");
        }
        removeLeftovers();
    }

    private TestCutover start() throws Exception {
        Map<String, Object> conf = new HashMap<>(Map.of(
                "cutover.app.name", APP,
                "cutover.app.runtime", "docker",
                "cutover.app.pull", "never",
                "cutover.app.ports", List.of(freePort(), freePort()),
                "cutover.app.compose.file", composeFile.toString(),
                "cutover.app.compose.service", "app",
                "cutover.app.compose.project", PROJECT,
                "cutover.health.path", "/",
                "cutover.health.deadline", "15s"));
        conf.put("cutover.health.interval", "50ms");
        cutover = TestCutover.start(conf);
        return cutover;
    }

    @Test
    void aComposeServiceIsDeployedBlueGreenUnderLoadOnTheProjectsNetworkWithNoFailedRequest() throws Exception {
        TestCutover c = start();
        JsonNode first = c.awaitDeploy(c.deploy(null, "{\"image\": \"v1\"}"));
        assertEquals("succeeded", first.get("state").asText(), first.toString());
        assertEquals("v1", c.get("/").body().trim(), "v1 answers: it reached redis by its name");

        JsonNode second;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(proxy(c), 4)) {
            load.awaitRequests(100);
            second = c.awaitDeploy(c.deploy(null, "{\"image\": \"v2\"}"));
            load.awaitVersion("v2");
            load.awaitRequests(load.requests() + 100);
            load.stop();
            failures = load.allFailures();
        }
        assertEquals("succeeded", second.get("state").asText(), second.toString());
        assertEquals(List.of(), failures);
        assertEquals("v2", c.get("/").body().trim());

        InspectContainerResponse green = docker.inspectContainerCmd(APP + "-green").exec();
        assertEquals(REPO + ":v2", green.getConfig().getImage(), "the tag went on the service's image");
        assertTrue(green.getNetworkSettings().getNetworks().containsKey(PROJECT + "_default"),
                green.getNetworkSettings().getNetworks().keySet().toString());
        assertEquals("payments", green.getConfig().getLabels().get("team"), "the service's labels");
        assertEquals("healthy", green.getState().getHealth().getStatus(), "its healthcheck was awaited");

        String ps = compose("ps");
        assertTrue(ps.contains(APP + "-blue") && ps.contains(APP + "-green"), ps);
        assertTrue(compose("logs", "--no-color", "app").contains(APP + "-green"), "docker-compose logs app shows it");
        assertRedisUntouched();

        JsonNode back = c.awaitDeploy(Json.mapper().readTree(c.admin("POST", "/v1/rollback", "{}").body()).get("id").asText());
        assertEquals("succeeded", back.get("state").asText(), back.toString());
        assertEquals("v1", c.get("/").body().trim(), "rolled back to v1, which reaches redis again");
        assertRedisUntouched();
    }

    @Test
    void aFailingVersionIsRefusedQuotingTheServicesLogsAndTrafficStays() throws Exception {
        TestCutover c = start();
        assertEquals("succeeded", c.awaitDeploy(c.deploy(null, "{\"image\": \"v1\"}")).get("state").asText());
        JsonNode failed = c.awaitDeploy(c.deploy(null, "{\"image\": \"broken\"}"));
        assertEquals("failed", failed.get("state").asText(), failed.toString());
        String error = failed.get("error").asText();
        assertTrue(error.contains("exited with code 3"), error);
        assertTrue(error.contains("broken: no route to redis"), "the service's logs, with its environment: " + error);
        assertEquals("v1", c.get("/").body().trim());
        assertRedisUntouched();
    }

    @Test
    void theCliDeploysAServiceNamedOnItsCommandLine() throws Exception {
        Map<String, Object> conf = new HashMap<>(Map.of(
                "cutover.app.name", APP, "cutover.app.runtime", "docker", "cutover.app.pull", "never",
                "cutover.app.ports", List.of(freePort(), freePort()),
                "cutover.health.path", "/", "cutover.health.deadline", "15s"));
        cutover = TestCutover.start(conf);
        String admin = cutover.adminAddress();
        Path stateDir = cutover.cutover().deployer().orElseThrow().app().stateFile().getParent();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"deploy", "--compose", composeFile.toString(), "--service", "app",
                "--project", PROJECT, "--admin", admin, "--state-dir", stateDir.toString(), "v2"},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, out + "\n" + err);
        assertEquals("v2", cutover.get("/").body().trim());

        code = Main.execute(new String[] {"deploy", "--compose", composeFile.toString(), "--admin", admin,
                "--state-dir", stateDir.toString(), "v1"}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertTrue(code != 0, out + "\n" + err);
        assertTrue(err.toString().contains("name the service of " + composeFile + " to deploy"), err.toString());
    }

    private static void assertRedisUntouched() {
        InspectContainerResponse redis = docker.inspectContainerCmd(redisId).exec();
        assertTrue(redis.getState().getRunning(), "redis runs");
        assertEquals(redisStartedAt, redis.getState().getStartedAt(), "redis was never restarted");
    }

    private static InetSocketAddress proxy(TestCutover c) {
        return new InetSocketAddress("127.0.0.1", c.cutover().proxyAddress().getPort());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Runs docker-compose on the test's project (bounded) and returns what it printed. */
    private static String compose(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("docker-compose", "-f", composeFile.toString(), "-p", PROJECT));
        cmd.addAll(List.of(args));
        Path output = Files.createTempFile(dir, "compose", ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish within 60 s");
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + text);
        return text;
    }
}
