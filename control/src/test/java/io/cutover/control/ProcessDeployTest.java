package io.cutover.control;

import io.cutover.control.deploy.VersionApp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The deploy flow with the process runtime: each version is a JVM running {@link VersionApp}. */
class ProcessDeployTest extends DeployFlowTest {

    private static List<String> command() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), VersionApp.class.getName());
    }

    @Override
    Map<String, Object> runtimeConfig() {
        return Map.of("cutover.app.runtime", "process");
    }

    private static Map<String, Object> run(List<String> command, Map<String, String> env) {
        Map<String, Object> body = new HashMap<>();
        body.put("command", command);
        body.put("env", env);
        return body;
    }

    @Override
    Map<String, Object> version(String v) {
        return run(command(), Map.of("VERSION", v));
    }

    @Override
    Map<String, Object> failingHealth() {
        return run(command(), Map.of("VERSION", "sick", "HEALTH_STATUS", "500"));
    }

    @Override
    Map<String, Object> exitingAtOnce() {
        return run(List.of("sh", "-c", "echo boom: no config >&2; exit 3"), Map.of());
    }

    @Override
    Map<String, Object> slowToStart(String v) {
        return run(command(), Map.of("VERSION", v, "STARTUP_DELAY_MS", "3000"));
    }

    @Override
    List<String> runs() throws Exception {
        return running();   // a stopped process is only a record; nothing of it exists
    }

    @Override
    List<String> running() throws Exception {
        List<String> ids = new ArrayList<>();
        for (ProcessHandle h : mine()) {
            ids.add(environment(h).get("CUTOVER_DEPLOY_ID"));
        }
        return ids;
    }

    @Override
    void removeAll() throws Exception {
        for (ProcessHandle h : mine()) {
            h.destroyForcibly();
            h.onExit().get();
        }
    }

    private List<ProcessHandle> mine() {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(h -> appName.equals(environment(h).get("CUTOVER_APP"))).toList();
        }
    }

    private static Map<String, String> environment(ProcessHandle h) {
        Map<String, String> env = new HashMap<>();
        try {
            String raw = Files.readString(Path.of("/proc", Long.toString(h.pid()), "environ"), StandardCharsets.UTF_8);
            for (String kv : raw.split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        } catch (Exception ignored) {
            // gone, or not ours to read
        }
        return env;
    }
}
