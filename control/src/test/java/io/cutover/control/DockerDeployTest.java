package io.cutover.control;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

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
