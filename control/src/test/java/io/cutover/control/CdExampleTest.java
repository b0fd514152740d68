package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cutover.control.demo.DemoApp;
import io.cutover.proxy.TestPorts;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The continuous-deployment examples: the GitHub Actions workflow deploys through the shell
 * script, and the script deploys for real against a local cutover (process runtime), its exit
 * code telling the CI job whether the deploy succeeded.
 */
class CdExampleTest {
    private static final Path EXAMPLES = Path.of("..", "examples");

    @TempDir
    Path dir;

    @Test
    void theWorkflowBuildsPushesAndDeploysThroughTheScriptWithTheCommitAsTheRelease() throws Exception {
        JsonNode flow = new ObjectMapper(new YAMLFactory()).readTree(EXAMPLES.resolve("github-actions/deploy.yml").toFile());
        assertTrue(flow.get("on").get("push").get("branches").toString().contains("main"), flow.toString());
        List<String> runs = new ArrayList<>();
        flow.get("jobs").get("deploy").get("steps").forEach(s -> runs.add(s.path("run").asText()));
        assertTrue(runs.stream().anyMatch(r -> r.contains("docker push \"$IMAGE\"")), runs.toString());
        JsonNode deploy = null;
        for (JsonNode s : flow.get("jobs").get("deploy").get("steps")) {
            if (s.path("run").asText().startsWith("examples/ci/deploy.sh")) {
                deploy = s;
            }
        }
        assertTrue(deploy != null, "a step runs the script: " + runs);
        assertTrue(deploy.get("run").asText().contains("--release \"${GITHUB_SHA::12}\" \"$IMAGE\""), deploy.toString());
        assertEquals("${{ secrets.DEPLOY_HOST }}", deploy.get("env").get("CUTOVER_SSH").asText());
    }

    @Test
    @Timeout(120)
    void theScriptDeploysAReleaseAndFailsTheJobWhenTheDeployFails() throws Exception {
        String marker = "cd-example-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        List<String> app = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
                "-D" + marker, "-cp", System.getProperty("java.class.path"), DemoApp.class.getName());
        try (TestCutover c = TestCutover.start(Map.of("cutover.app.name", "cd", "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(TestPorts.free(), TestPorts.free()), "cutover.health.path", "/health",
                "cutover.health.deadline", "10s", "cutover.state-dir", dir.toString()))) {
            Result ok = script(c, "--release", "r1.0", "--command", "--", words(app, "v1"));
            assertEquals(0, ok.code(), ok.output());
            assertTrue(ok.output().contains("deploy ") && ok.output().contains("of r1.0 succeeded"), ok.output());
            assertTrue(ok.output().contains("healthy") && ok.output().contains("switched"), "the steps stream: " + ok.output());
            assertEquals("v1", c.get("/").body());

            Result bad = script(c, "--release", "r1.1", "--env", "DEMO_HEALTH=fail", "--command", "--", words(app, "v2"));
            assertEquals(1, bad.code(), bad.output());
            assertTrue(bad.output().contains("of r1.1 failed") && bad.output().contains("health check"), bad.output());
            assertEquals("v1", c.get("/").body(), "traffic stayed");
        } finally {
            ProcessHandle.current().descendants()
                    .filter(p -> p.info().commandLine().map(l -> l.contains(marker)).orElse(false))
                    .forEach(ProcessHandle::destroy);
        }
    }

    private static String[] words(List<String> command, String version) {
        List<String> all = new ArrayList<>(command);
        all.add(version);
        return all.toArray(String[]::new);
    }

    private record Result(int code, String output) {
    }

    /** Runs examples/ci/deploy.sh with cutover's CLI from this classpath, against {@code c}. */
    private Result script(TestCutover c, Object... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", EXAMPLES.resolve("ci/deploy.sh").toString()));
        for (Object a : args) {
            if (a instanceof String[] many) {
                cmd.addAll(List.of(many));
            } else {
                cmd.add((String) a);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("CUTOVER", Path.of(System.getProperty("java.home"), "bin", "java") + " -cp "
                + System.getProperty("java.class.path") + " io.cutover.control.cli.Main");
        pb.environment().put("CUTOVER_ADMIN", "127.0.0.1:" + c.cutover().adminAddress().getPort());
        Path out = dir.resolve("script-" + System.nanoTime() + ".log");
        Process p = pb.redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the script did not end: " + java.nio.file.Files.readString(out));
        }
        return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8));
    }
}
