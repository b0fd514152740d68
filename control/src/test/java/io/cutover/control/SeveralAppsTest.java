package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.config.AppSettings;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One cutover, several apps by host and path: each deploys on its own (lock, state file,
 * metrics), the API and CLI name the app, and a reload adds, changes and removes apps. Fake
 * runtimes "run" each app's versions on its ports, where test backends answer.
 */
class SeveralAppsTest {
    @TempDir
    Path dir;

    private final Map<String, FakeRuntime> runtimes = new ConcurrentHashMap<>();
    private final Function<AppSettings, AppRuntime> runtimeOf =
            app -> runtimes.computeIfAbsent(app.name(), n -> new FakeRuntime());
    private TestBackend shop1;
    private TestBackend shop2;
    private TestBackend api1;
    private TestBackend api2;
    private TestBackend admin;
    private Path file;
    private TestCutover cutover;

    @BeforeEach
    void start() throws Exception {
        shop1 = TestBackend.start("shop1");
        shop2 = TestBackend.start("shop2");
        api1 = TestBackend.start("api1");
        api2 = TestBackend.start("api2");
        admin = TestBackend.start("admin");
        file = dir.resolve("cutover.conf");
        write(apps(""));
        cutover = TestCutover.start(file, Map.of("cutover.state-dir", dir.toString()), runtimeOf);
    }

    @AfterEach
    void stop() {
        runtimes.values().forEach(r -> r.start.open());
        cutover.close();
        for (TestBackend b : List.of(shop1, shop2, api1, api2, admin)) {
            b.close();
        }
    }

    private String apps(String more) {
        return "cutover.apps {\n"
                + "  shop { hosts = [\"shop.test\", \"*.shop.test\"], runtime = process, ports = [" + shop1.port() + ", "
                + shop2.port() + "] }\n"
                + "  api { hosts = [\"shop.test\"], path-prefix = \"/api\", strip-prefix = true, runtime = process, "
                + "ports = [" + api1.port() + ", " + api2.port() + "], health { path = \"/health\" } }\n"
                + more + "}\n";
    }

    private void write(String config) throws Exception {
        Files.writeString(file, config);
    }

    private String deploy(String app, String v) throws Exception {
        return cutover.deploy(app, "{\"command\": [\"" + v + "\"]}");
    }

    private JsonNode follow(String id) throws Exception {
        return cutover.awaitDeploy(id);
    }

    private RawHttp.Response get(String host, String path) throws Exception {
        try (RawHttp raw = new RawHttp(cutover.cutover().proxyAddress())) {
            return raw.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read();
        }
    }

    @Test
    void requestsGoToTheAppOfTheirHostAndPathAndEachAppDeploysOnItsOwn() throws Exception {
        assertEquals("succeeded", follow(deploy("shop", "s1")).get("state").asText());
        assertEquals("succeeded", follow(deploy("api", "a1")).get("state").asText());
        assertEquals("shop1", get("shop.test", "/cart").body());
        assertEquals("shop1", get("www.shop.test:8080", "/").body());
        assertEquals("api1", get("shop.test", "/api/orders").body());
        assertEquals(List.of("GET /orders"), api1.seen().stream().filter(x -> !x.equals("GET /health")).toList(),
                "the prefix was stripped");
        assertEquals(404, get("other.test", "/").status());

        assertEquals("succeeded", follow(deploy("api", "a2")).get("state").asText());
        assertEquals("api2", get("shop.test", "/api/orders").body());
        assertEquals("shop1", get("shop.test", "/").body(), "the other app did not move");

        assertTrue(Files.exists(dir.resolve("shop.json")) && Files.exists(dir.resolve("api.json")), "a state file each");
        String metrics = cutover.admin("GET", "/metrics", null).body();
        assertTrue(metrics.contains("cutover_deploys_total{app=\"api\",kind=\"deploy\",outcome=\"succeeded\"} 2.0"), metrics);
        assertTrue(metrics.contains("cutover_switches_total{app=\"shop\"} 1.0"), metrics);
        assertTrue(metrics.contains("cutover_requests_seconds_count{app=\"api\",status=\"2xx\""), metrics);
    }

    @Test
    void anUnknownAppIsA404NamingTheAppsAndWithSeveralAppsStatusShowsThemAll() throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy?app=nope", "{\"command\": [\"x\"]}");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("no app nope; apps: api, shop"), r.body());
        r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"x\"]}");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("name one") && r.body().contains("api, shop"), r.body());
        JsonNode all = cutover.status();
        assertEquals(2, all.get("apps").size(), all.toString());
        assertEquals("api", all.get("apps").get(0).get("name").asText(), "by name");
        assertEquals("api", cutover.json(cutover.admin("GET", "/v1/status?app=api", null).body()).get("name").asText());
    }

    @Test
    void eachAppHasItsOwnDeployLockSoOneAppsDeployNeverWaitsForAnothers() throws Exception {
        runtimes.get("shop").start.close();
        String held = deploy("shop", "s1");
        assertTrue(runtimes.get("shop").start.awaitHeld(10), "shop's deploy is held in its start");
        assertEquals("succeeded", follow(deploy("api", "a1")).get("state").asText(), "api did not wait for shop");
        runtimes.get("shop").start.open();
        assertEquals("succeeded", follow(held).get("state").asText());
    }

    @Test
    void aReloadAddsChangesAndRemovesAppsAndAnInvalidConfigChangesNothing() throws Exception {
        follow(deploy("shop", "s1"));
        follow(deploy("api", "a1"));
        write(apps("  admin { hosts = [\"admin.test\"], target = \"" + admin.target() + "\" }\n"));
        HttpResponse<String> r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("[\"admin\"]", cutover.json(r.body()).get("added").toString());
        assertEquals("admin", get("admin.test", "/").body());
        assertEquals("shop1", get("shop.test", "/").body(), "an app that stays keeps its version");

        write(apps("  admin { hosts = [\"shop.test\"], path-prefix = \"/api/\", target = \"" + admin.target() + "\" }\n"));
        r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("apps admin and api both claim host shop.test with path prefix /api"), r.body());
        assertEquals("admin", get("admin.test", "/").body(), "nothing changed");

        write("cutover.apps { shop { hosts = [\"shop.test\"], runtime = process, ports = [" + shop1.port() + ", "
                + shop2.port() + "], drain { deadline = 5s } } }\n");
        r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = cutover.json(r.body());
        assertEquals("[\"shop\"]", o.get("changed").toString());
        assertEquals("[\"admin\",\"api\"]", o.get("removed").toString());
        assertEquals("shop1", get("shop.test", "/api/orders").body(), "api is gone: its path is shop's now");
        assertEquals(404, get("admin.test", "/").status());
        assertEquals("shop", cutover.status().get("name").asText(), "one app left: status is its own");
        assertEquals("succeeded", follow(deploy("shop", "s2")).get("state").asText(), "the changed app deploys");
        assertEquals("shop2", get("shop.test", "/").body());
    }

    @Test
    void aReloadThatWouldReplaceADeployingAppOrOneItsStateFileRefusesChangesNothing() throws Exception {
        follow(deploy("api", "a1"));
        runtimes.get("shop").start.close();
        String held = deploy("shop", "s1");
        assertTrue(runtimes.get("shop").start.awaitHeld(10));
        write(apps("").replace("runtime = process, ports = [" + shop1.port(), "lock-wait = 1m, runtime = process, ports = ["
                + shop1.port()));
        HttpResponse<String> r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(409, r.statusCode(), r.body());
        assertTrue(r.body().contains("app shop is switching or deploying"), r.body());
        runtimes.get("shop").start.open();
        assertEquals("succeeded", follow(held).get("state").asText(), "the deploy went on");

        // a state file of another app would be a start-up failure: found before anything changes
        write(apps("").replace("health { path", "state-file = \"shop.json\", health { path"));
        r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("nothing changed: app api: the state file") && r.body().contains("belongs to app 'shop'"),
                r.body());
        assertEquals("api1", get("shop.test", "/api/x").body());
        assertEquals("succeeded", follow(deploy("api", "a2")).get("state").asText(), "api still deploys");
    }

    @Test
    void aReloadThatChangesWhatNeedsARestartIsRefusedNamingIt() throws Exception {
        write("cutover.timeouts.connect = 1s\n" + apps(""));
        HttpResponse<String> r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("cutover.timeouts") && r.body().contains("restart"), r.body());
        write(apps("  x { hosts = [1, 2 }"));
        r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("invalid, nothing changed"), r.body());
        assertEquals(2, cutover.status().get("apps").size());
    }
}
