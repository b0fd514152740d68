package io.cutover.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Canary;
import io.cutover.proxy.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppsConfigTest {
    @TempDir
    Path dir;

    private Settings load(String hocon) throws Exception {
        Path f = dir.resolve("cutover.conf");
        Files.writeString(f, hocon);
        return ConfigLoader.load(Optional.of(f), Map.of("cutover.state-dir", dir.toString()));
    }

    private String error(String hocon) {
        return assertThrows(ConfigError.class, () -> load(hocon)).getMessage();
    }

    @Test
    void eachAppHasItsOwnKeysOverTheDefaultsOfAnAppAndTheTopLevelHealthAndDrain() throws Exception {
        Settings s = load("""
                cutover.health.path = /up
                cutover.drain.deadline = 7s
                cutover.apps {
                  web { hosts = ["Shop.Example.com", "*.shop.example.com"], ports = [8081, 8082], image = "web:1" }
                  api { hosts = ["shop.example.com"], path-prefix = "/api/", strip-prefix = true, runtime = process,
                        ports = [8091, 8092], command = [java, -jar, api.jar], health { path = /health }, drain { deadline = 3s },
                        canary { steps = [10, 50, 100], interval = 30s, allow = ["header:X-Canary=staff", "cookie:beta=yes"] } }
                  legacy { hosts = ["old.example.com"], target = "127.0.0.1:9000" }
                }
                """);
        assertEquals(List.of("api", "legacy", "web"), s.apps().stream().map(AppConfig::name).toList());
        AppConfig api = s.apps().get(0);
        assertEquals("/api", api.rule().pathPrefix());
        assertTrue(api.rule().stripPrefix());
        assertEquals("/health", api.health().path());
        assertEquals(Duration.ofSeconds(3), api.drainDeadline());
        assertEquals(dir.resolve("api.json"), api.deploy().orElseThrow().stateFile());
        assertEquals(AppSettings.Runtime.PROCESS, api.deploy().orElseThrow().runtime());
        assertEquals(List.of(10, 50, 100), api.canary().steps());
        assertEquals(Duration.ofSeconds(30), api.canary().interval());
        assertEquals(List.of(new Canary.Allow(false, "x-canary", "staff"), new Canary.Allow(true, "beta", "yes")),
                api.canary().allow());
        AppConfig legacy = s.apps().get(1);
        assertEquals(Optional.of(new Target("127.0.0.1", 9000)), legacy.target());
        assertFalse(legacy.deploy().isPresent(), "an app with a target is switched by hand");
        AppConfig web = s.apps().get(2);
        assertEquals(List.of("shop.example.com", "*.shop.example.com"), web.rule().hosts());
        assertEquals("/up", web.health().path());
        assertEquals(Duration.ofSeconds(7), web.drainDeadline());
        assertEquals(List.of(), web.canary().steps(), "no canary unless asked: deploys switch all at once");
    }

    @Test
    void twoAppsClaimingTheSameHostAndPrefixStopStartUpNamingBoth() {
        String msg = error("""
                cutover.apps {
                  a { hosts = ["x.test"], path-prefix = "/v1", ports = [1, 2] }
                  b { hosts = ["X.TEST"], path-prefix = "/v1/", ports = [3, 4] }
                }
                """);
        assertTrue(msg.contains("apps a and b both claim host x.test with path prefix /v1"), msg);
        msg = error("cutover.apps { a { ports = [1, 2] }, b { ports = [3, 4] } }");
        assertTrue(msg.contains("apps a and b both claim every host"), msg);
    }

    @Test
    void aWrongKeyOrValueOfAnAppIsNamedWithItsApp() {
        String msg = error("cutover.apps { shop { hots = [\"a\"] } }");
        assertTrue(msg.contains("cutover.apps.shop.hots") && msg.contains("unknown"), msg);
        msg = error("cutover.apps { shop { ports = [1] } }");
        assertTrue(msg.contains("cutover.apps.shop.ports"), msg);
        msg = error("cutover.apps { shop { canary.steps = [50, 10] } }");
        assertTrue(msg.contains("cutover.apps.shop.canary.steps") && msg.contains("grow"), msg);
        msg = error("cutover.apps { shop { canary.allow = [\"staff\"] } }");
        assertTrue(msg.contains("cutover.apps.shop.canary.allow") && msg.contains("header:NAME=VALUE"), msg);
        msg = error("cutover.apps { shop { path-prefix = \"api\" } }");
        assertTrue(msg.contains("must start with /"), msg);
    }

    @Test
    void replicasTakeTheirColoursPortPlusTwiceTheirIndexOrAListPerColourAndACollisionIsNamed() throws Exception {
        AppSettings stride = load("cutover.apps { shop { ports = [8081, 8082], replicas = 3 } }").apps().get(0)
                .deploy().orElseThrow();
        assertEquals(3, stride.replicas());
        assertEquals(List.of(8081, 8083, 8085), stride.ports(0, 3));
        assertEquals(List.of(8082, 8084, 8086), stride.ports(1, 3));
        AppSettings listed = load("cutover.apps { shop { ports { blue = [9001, 9002], green = [9101, 9102] }, "
                + "replicas = 2 } }").apps().get(0).deploy().orElseThrow();
        assertEquals(List.of(9101, 9102), listed.ports(1, 2));
        assertEquals(List.of(9001, 9101), listed.ports());
        assertEquals(1, load("cutover.apps { shop { ports = [1, 2] } }").apps().get(0).deploy().orElseThrow().replicas());

        String msg = error("cutover.apps { shop { ports = [8081, 8083], replicas = 2 } }");
        assertTrue(msg.contains("cutover.apps.shop.ports") && msg.contains("port 8083 would be used twice"), msg);
        msg = error("cutover.apps { shop { ports { blue = [9001], green = [9101] }, replicas = 2 } }");
        assertTrue(msg.contains("ports.blue lists 1 port [9001], fewer than the 2 replicas"), msg);
        msg = error("cutover.apps { shop { ports { blue = [9001], red = [9101] } } }");
        assertTrue(msg.contains("must name the ports of blue and green"), msg);
    }

    @Test
    void oneAppAndSeveralAppsDoNotMix() {
        String msg = error("cutover.app.name = shop\ncutover.apps { web { ports = [1, 2] } }");
        assertTrue(msg.contains("cutover.apps") && msg.contains("cutover.app.name"), msg);
    }

    @Test
    void theSingleAppKeysKeepWorkingAsOneAppTakingEveryRequest() throws Exception {
        Settings s = load("cutover { app { name = shop, canary.steps = [25, 100] } }");
        assertEquals(1, s.apps().size());
        assertEquals("shop", s.apps().get(0).name());
        assertEquals(List.of(), s.apps().get(0).rule().hosts());
        assertEquals("/", s.apps().get(0).rule().pathPrefix());
        assertEquals(List.of(25, 100), s.apps().get(0).canary().steps());
        assertEquals("default", load("cutover.target = \"127.0.0.1:9\"").apps().get(0).name());
    }

    @Test
    void aWarmUpIsOffByDefaultACountOrADurationAndAnythingElseIsNamed() throws Exception {
        assertTrue(load("cutover.app.name = shop").apps().get(0).deploy().orElseThrow().warmUp().off());
        WarmUpSettings byCount = load("cutover.app { name = shop, warm-up = 2000 }").apps().get(0).deploy().orElseThrow()
                .warmUp();
        assertEquals(new WarmUpSettings(2000, Duration.ZERO, false), byCount);
        Settings s = load("cutover.apps { shop { ports = [1, 2], warm-up = 20s, warm-up-queries = true } }");
        assertEquals(new WarmUpSettings(0, Duration.ofSeconds(20), true), s.apps().get(0).deploy().orElseThrow().warmUp());
        for (String bad : List.of("-1", "\"20 parsecs\"", "0s", "11m", "2000000")) {
            String msg = error("cutover.app { name = shop, warm-up = " + bad + " }");
            assertTrue(msg.contains("cutover.app.warm-up"), msg);
        }
    }

    @Test
    void aCanaryInconclusiveAtTheDeadlineIsHeldUnlessTheAppSaysAbortAndMinErrorsIsStillAccepted() throws Exception {
        assertEquals(CanarySettings.OnDeadline.HOLD, load("cutover.app.name = shop").apps().get(0).canary().onDeadline());
        Settings s = load("cutover.apps { shop { ports = [1, 2], canary { on-deadline = abort, min-errors = 3 } } }");
        assertEquals(CanarySettings.OnDeadline.ABORT, s.apps().get(0).canary().onDeadline());
        assertEquals(200, s.apps().get(0).canary().minRequests(), "200 requests a side before latency is judged");
        String msg = error("cutover.app.canary.on-deadline = ask");
        assertTrue(msg.contains("cutover.app.canary.on-deadline") && msg.contains("hold, abort"), msg);
    }
}
