package io.cutover.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path file(String hocon) throws Exception {
        Path f = dir.resolve("cutover.conf");
        Files.writeString(f, hocon);
        return f;
    }

    private static String error(Runnable load) {
        return assertThrows(ConfigError.class, load::run).getMessage();
    }

    @Test
    void aComposeFileNeedsItsServiceAndIsMadeAbsolute() {
        String m = error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop",
                "cutover.app.compose.file", "docker-compose.yml")));
        assertTrue(m.contains("cutover.app.compose.service") && m.contains("is missing: name the service of "
                + "docker-compose.yml that cutover deploys"), m);
        m = error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop", "cutover.app.runtime",
                "process", "cutover.app.command", java.util.List.of("app"), "cutover.app.compose.file", "c.yml",
                "cutover.app.compose.service", "app")));
        assertTrue(m.contains("set runtime = docker"), m);
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop",
                "cutover.app.compose.file", "docker-compose.yml", "cutover.app.compose.service", "app"))
                .apps().get(0).deploy().orElseThrow();
        assertEquals(new ComposeSettings(Path.of("docker-compose.yml").toAbsolutePath().toString(), "app", "", 0),
                app.compose());
    }

    @Test
    void defaultsComeFromReferenceConf() {
        Settings s = ConfigLoader.load(Optional.empty(), Map.of());
        assertEquals(8080, s.listen().getPort());
        assertEquals("127.0.0.1", s.admin().getAddress().getHostAddress());
        assertTrue(s.target().isEmpty());
        assertEquals(Duration.ofSeconds(30), s.drainDeadline());
        assertEquals("/", s.health().path());
        assertEquals(Duration.ofSeconds(60), s.proxy().responseTimeout());
        assertEquals(16 * 1024, s.proxy().maxHeaderSize());
    }

    @Test
    void theAccessLogsBufferIs8MiBByDefaultAndNeitherTinyNorALargePartOfTheHeap() {
        assertEquals(8L << 20, ConfigLoader.load(Optional.empty(), Map.of()).accessLog().buffer());
        assertEquals(64L << 10, ConfigLoader.load(Optional.empty(), Map.of("cutover.access-log.buffer", "64KiB"))
                .accessLog().buffer());
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.access-log.buffer", "1000")))
                .contains("cutover.access-log.buffer"));
        long half = Runtime.getRuntime().maxMemory() / 2;
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.access-log.buffer", String.valueOf(half))))
                .contains("a quarter of the heap"));
    }

    @Test
    void fileOverridesDefaultsAndFlagsOverrideTheFile() throws Exception {
        Path f = file("cutover { target = \"127.0.0.1:8081\", health.path = /up, drain.deadline = 5s }");
        Settings s = ConfigLoader.load(Optional.of(f), Map.of("cutover.health.path", "/ready"));
        assertEquals(Optional.of(new Target("127.0.0.1", 8081)), s.target());
        assertEquals("/ready", s.health().path());
        assertEquals(Duration.ofSeconds(5), s.drainDeadline());
    }

    @Test
    void unknownKeyFailsNamingTheKey() throws Exception {
        Path f = file("cutover { timeouts { conect = 1s } }");
        String msg = error(() -> ConfigLoader.load(Optional.of(f), Map.of()));
        assertTrue(msg.contains("cutover.timeouts.conect"), msg);
        assertTrue(msg.contains("unknown"), msg);
    }

    @Test
    void unknownTopLevelKeyFails() throws Exception {
        Path f = file("listen = \"0.0.0.0:80\"");
        assertTrue(error(() -> ConfigLoader.load(Optional.of(f), Map.of())).contains("'listen'"));
    }

    @Test
    void badDurationFailsNamingTheKey() throws Exception {
        Path f = file("cutover.timeouts.response = soon");
        assertTrue(error(() -> ConfigLoader.load(Optional.of(f), Map.of())).contains("cutover.timeouts.response"));
    }

    @Test
    void zeroDurationFailsNamingTheKey() {
        String msg = error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.drain.deadline", "0s")));
        assertTrue(msg.contains("cutover.drain.deadline") && msg.contains("more than zero"), msg);
    }

    @Test
    void badAddressesFailNamingTheKey() {
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.target", "8081")))
                .contains("cutover.target"));
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.listen", "0.0.0.0:http")))
                .contains("cutover.listen"));
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.admin", "127.0.0.1:70000")))
                .contains("cutover.admin"));
    }

    @Test
    void badHealthPathAndTransportFailNamingTheKey() {
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.health.path", "health")))
                .contains("cutover.health.path"));
        assertTrue(error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.transport", "carrier-pigeon")))
                .contains("cutover.transport"));
    }

    @Test
    void byDefaultOnlyLoopbackIsATrustedProxy() {
        io.cutover.proxy.TrustedProxies trusted = ConfigLoader.load(Optional.empty(), Map.of()).proxy().trustedProxies();
        assertEquals(io.cutover.proxy.TrustedProxies.parse(java.util.List.of("127.0.0.0/8", "::1/128")), trusted);
        assertTrue(trusted.trusts("127.0.0.1") && trusted.trusts("::1"));
        for (String privateAddress : new String[] {"10.0.0.1", "172.16.0.1", "192.168.1.1", "fd00::1"}) {
            assertFalse(trusted.trusts(privateAddress), privateAddress + " (behind SNAT every client would be trusted)");
        }
    }

    @Test
    void aTrustedProxyThatIsNotAnAddressFailsNamingTheKey() {
        String msg = error(() -> ConfigLoader.load(Optional.empty(),
                Map.of("cutover.trusted-proxies", java.util.List.of("lb.internal"))));
        assertTrue(msg.contains("cutover.trusted-proxies") && msg.contains("lb.internal"), msg);
    }

    @Test
    void theBackendPoolFollowsTheLoadByDefaultAndANumberBoundsItOrTurnsItOff() {
        assertEquals(Integer.MAX_VALUE, ConfigLoader.load(Optional.empty(), Map.of()).proxy().maxIdlePerLoop());
        assertEquals(12, ConfigLoader.load(Optional.empty(), Map.of("cutover.pool.max-idle-per-loop", 12))
                .proxy().maxIdlePerLoop());
        assertEquals(0, ConfigLoader.load(Optional.empty(), Map.of("cutover.pool.max-idle-per-loop", 0))
                .proxy().maxIdlePerLoop());
    }

    @Test
    void aRequestBodyHasAnIdleTimeoutAndAMinimumRateThatZeroTurnsOff() {
        Settings s = ConfigLoader.load(Optional.empty(), Map.of());
        assertEquals(Duration.ofSeconds(20), s.proxy().requestBodyIdleTimeout());
        assertEquals(1024, s.proxy().minBodyRate());
        assertEquals(0, ConfigLoader.load(Optional.empty(), Map.of("cutover.limits.min-body-rate", 0)).proxy().minBodyRate());
        String msg = error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.timeouts.request-body-idle", "0s")));
        assertTrue(msg.contains("cutover.timeouts.request-body-idle") && msg.contains("more than zero"), msg);
        msg = error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.limits.min-body-rate", -1)));
        assertTrue(msg.contains("cutover.limits.min-body-rate"), msg);
    }

    @Test
    void wrongTypeFailsNamingTheKey() throws Exception {
        Path f = file("cutover.pool.max-idle-per-loop = many");
        assertTrue(error(() -> ConfigLoader.load(Optional.of(f), Map.of())).contains("max-idle-per-loop"));
    }

    @Test
    void missingOrBrokenFileFails() throws Exception {
        assertTrue(error(() -> ConfigLoader.load(Optional.of(dir.resolve("nope.conf")), Map.of()))
                .contains("nope.conf"));
        Path broken = file("cutover { listen = ");
        error(() -> ConfigLoader.load(Optional.of(broken), Map.of()));
    }

    private static Environment environment(boolean root, Map<String, String> variables) {
        return new Environment() {
            @Override
            public boolean root() {
                return root;
            }

            @Override
            public String variable(String name) {
                return variables.get(name);
            }
        };
    }

    private static Path stateFileOf(Environment environment) {
        Settings s = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop"), environment);
        return s.app().orElseThrow().stateFile();
    }

    @Test
    void stateLivesInTheSystemStateDirectoryAsRootOnePerApp() {
        assertEquals(Path.of("/var/lib/cutover/shop.json"), stateFileOf(environment(true, Map.of("HOME", "/root"))));
    }

    @Test
    void stateLivesInTheUsersStateDirectoryOtherwise() {
        assertEquals(Path.of("/home/ann/.local/state/cutover/shop.json"),
                stateFileOf(environment(false, Map.of("HOME", "/home/ann"))));
        assertEquals(Path.of("/srv/state/cutover/shop.json"),
                stateFileOf(environment(false, Map.of("HOME", "/home/ann", "XDG_STATE_HOME", "/srv/state"))));
    }

    @Test
    void cutoverStateDirInTheEnvironmentComesBeforeTheUsualPlaces() {
        assertEquals(Path.of("/srv/cutover/shop.json"),
                stateFileOf(environment(true, Map.of("HOME", "/root", "CUTOVER_STATE_DIR", "/srv/cutover"))));
    }

    @Test
    void aConfiguredStateDirectoryWins() {
        Settings s = ConfigLoader.load(Optional.empty(),
                Map.of("cutover.app.name", "shop", "cutover.state-dir", "/data/cutover"), environment(true, Map.of()));
        assertEquals(Path.of("/data/cutover"), s.stateDir());
        assertEquals(Path.of("/data/cutover/shop.json"), s.app().orElseThrow().stateFile());
    }

    @Test
    void theStateIsNeverKeptInTheWorkingDirectoryByDefault() {
        Path cwd = Path.of("").toAbsolutePath();
        for (Environment e : new Environment[] {environment(true, Map.of()), environment(false, Map.of("HOME", "/h"))}) {
            assertTrue(!stateFileOf(e).startsWith(cwd), stateFileOf(e).toString());
        }
    }

    @Test
    void anAppsShadowIsOffByDefaultAndTakesAShareInPercentADurationAndFailOnErrors() {
        Settings off = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop"));
        assertFalse(off.apps().get(0).shadow().on());
        Settings s = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop", "cutover.app.shadow.share", "10%",
                "cutover.app.shadow.duration", "45s", "cutover.app.shadow.fail-on-errors", "true"));
        assertEquals(new ShadowSettings(10, Duration.ofSeconds(45), true, 64), s.apps().get(0).shadow());
        String msg = error(() -> ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "shop",
                "cutover.app.shadow.share", "110%")));
        assertTrue(msg.contains("cutover.app.shadow.share") && msg.contains("0-100%"), msg);
    }
}
