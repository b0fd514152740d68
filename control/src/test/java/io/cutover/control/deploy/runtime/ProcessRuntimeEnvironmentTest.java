package io.cutover.control.deploy.runtime;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Owner;
import io.cutover.control.deploy.runtime.ProcessRuntime;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.Eventually;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An app process gets an allow-listed environment, never cutover's secrets. */
class ProcessRuntimeEnvironmentTest {
    @TempDir
    Path dir;

    @Test
    void anAppProcessSeesOnlyTheAllowListTheAppsAndTheDeploysEnvironmentNeverCutoversSecrets() throws Exception {
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "envtest",
                "cutover.app.runtime", "process", "cutover.state-dir", dir.toString(),
                "cutover.app.env.FROM_APP", "a")).app().orElseThrow();
        Map<String, String> parent = new HashMap<>();
        parent.put("PATH", System.getenv("PATH"));
        parent.put("HOME", "/home/someone");
        parent.put("LANG", "C.UTF-8");
        parent.put("LC_TIME", "C");
        parent.put("CUTOVER_ADMIN_TOKEN", "s3cret");
        parent.put("CUTOVER_LISTEN", "0.0.0.0:8080");
        parent.put("AWS_SECRET_ACCESS_KEY", "xyz");
        parent.put("LISTEN_FDS", "2");
        parent.put("NOTIFY_SOCKET", "/run/systemd/notify");
        ProcessRuntime runtime = new ProcessRuntime(app, dir, () -> parent);
        Instance i = runtime.start(new Release(null, List.of("sleep", "30"), Map.of("FROM_DEPLOY", "d")),
                Colour.BLUE, 4321, "d1");
        try {
            Map<String, String> env = Eventually.value(Duration.ofSeconds(20), "the child to exec",
                    () -> environ(Long.parseLong(i.handle())), e -> e.containsKey("CUTOVER_DEPLOY_ID"));
            assertEquals(new TreeSet<>(Set.of("PATH", "HOME", "LANG", "LC_TIME", "FROM_APP", "FROM_DEPLOY", "PORT",
                    "CUTOVER_APP", "CUTOVER_COLOUR", "CUTOVER_DEPLOY_ID", "CUTOVER_OWNER", "CUTOVER_REPLICA")),
                    new TreeSet<>(env.keySet()));
            assertFalse(env.containsKey("CUTOVER_ADMIN_TOKEN"));
            assertEquals(System.getenv("PATH"), env.get("PATH"));
            assertEquals("4321", env.get("PORT"));
            assertEquals("a", env.get("FROM_APP"));
            assertEquals("d", env.get("FROM_DEPLOY"));
            assertEquals("envtest", env.get("CUTOVER_APP"));
            assertEquals(Owner.of(dir), env.get("CUTOVER_OWNER"));
            // and the tags still find it: a restarted cutover's leftover sweep sees it as this app's
            assertTrue(runtime.removeAllExcept(List.of()).stream().anyMatch(s -> s.contains(i.handle())),
                    "the process is found by its tags");
        } finally {
            runtime.stop(i);
        }
    }

    private static Map<String, String> environ(long pid) throws Exception {
        Map<String, String> env = new HashMap<>();
        String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8);
        for (String kv : raw.split("\0")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return env;
    }
}
