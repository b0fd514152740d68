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
        for (JsonNode s : flow.get("jobs").get("deploy").get("steps")) {
            assertTrue(!s.path("run").asText().contains("${{"), "secrets reach scripts only through env: " + s);
        }
    }

    @Test
    @Timeout(180)
    void theScriptDeploysAReleaseAndFailsTheJobWhenTheDeployFails() throws Exception {
        String marker = "cd-example-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        List<String> app = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
                "-D" + marker, "-cp", System.getProperty("java.class.path"), DemoApp.class.getName());
        try (TestCutover c = TestCutover.start(Map.of("cutover.app.name", "cd", "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(TestPorts.free(), TestPorts.free()), "cutover.health.path", "/health",
                "cutover.health.deadline", "30s", "cutover.state-dir", dir.toString(), "cutover.admin-token", TOKEN))) {
            Result ok = script(c, "--release", "r1.0", "--command", "--", words(app, "v1"));
            assertEquals(0, ok.code(), ok.output());
            assertTrue(ok.output().contains("deploy ") && ok.output().contains("of r1.0 succeeded"), ok.output());
            assertTrue(ok.output().contains("healthy") && ok.output().contains("switched"), "the steps stream: " + ok.output());
            assertEquals("v1", c.get("/").body());

            Result bad = script(c, "--release", "r1.1", "--env", "DEMO_HEALTH=fail", "--command", "--", words(app, "v2"));
            assertEquals(1, bad.code(), bad.output());
            assertTrue(bad.output().contains("of r1.1 failed") && bad.output().contains("health check"), bad.output());
            assertEquals("v1", c.get("/").body(), "traffic stayed");

            // from the CI runner over ssh (a stand-in ssh that runs the remote command here, with
            // none of the runner's environment): the admin address in the command, the token on stdin
            Result remote = script(c, Map.of("CUTOVER_SSH", "deploy@host", "PATH", fakeSsh() + ":" + System.getenv("PATH")),
                    "--release", "r2 (hotfix)", "--command", "--", words(app, "v3"));
            assertEquals(0, remote.code(), remote.output());
            assertTrue(remote.output().contains("of r2 (hotfix) succeeded"), remote.output());
            assertEquals("v3", c.get("/").body());
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
    private static final String TOKEN = "a-token-of-the-admin-api-0123";

    /** A directory with an `ssh` that runs the remote command here, in an environment without cutover's variables. */
    private Path fakeSsh() throws Exception {
        Path bin = java.nio.file.Files.createDirectories(dir.resolve("fake-bin"));
        Path ssh = bin.resolve("ssh");
        java.nio.file.Files.writeString(ssh, "#!/usr/bin/env bash\n"
                + "while [ \"$1\" = -o ]; do shift 2; done\n"
                + "shift\n"
                + "unset CUTOVER_ADMIN CUTOVER_ADMIN_TOKEN CUTOVER_SSH\n"
                + "exec bash -c \"$1\"\n");
        ssh.toFile().setExecutable(true);
        return bin;
    }

    private Result script(TestCutover c, Object... args) throws Exception {
        return script(c, Map.of(), args);
    }

    private Result script(TestCutover c, Map<String, String> env, Object... args) throws Exception {
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
        pb.environment().put("CUTOVER_ADMIN_TOKEN", TOKEN);
        pb.environment().putAll(env);
        Path out = dir.resolve("script-" + System.nanoTime() + ".log");
        Process p = pb.redirectOutput(out.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the script did not end: " + java.nio.file.Files.readString(out));
        }
        return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8));
    }
}
