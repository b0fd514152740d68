package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.Cutover;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI with several apps: --app names one, status shows all, reload reads the file again. */
class AppsCliTest {
    @TempDir
    Path dir;

    private TestBackend web1;
    private TestBackend web2;
    private TestBackend api;
    private Path file;
    private Cutover cutover;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        web1 = TestBackend.start("web1");
        web2 = TestBackend.start("web2");
        api = TestBackend.start("api");
        file = dir.resolve("cutover.conf");
        Files.writeString(file, config(""));
        Map<String, Object> flags = Map.of("cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0",
                "cutover.health.path", "/health", "cutover.health.interval", "20ms", "cutover.health.deadline", "5s",
                "cutover.health.timeout", "5s",
                "cutover.state-dir", dir.toString(), "cutover.transport", TestProxy.transport().toString());
        cutover = Cutover.start(ConfigLoader.load(Optional.of(file), flags), Clock.systemUTC(), Cutover::runtimeFor,
                () -> ConfigLoader.load(Optional.of(file), flags));
        admin = "127.0.0.1:" + cutover.adminAddress().getPort();
    }

    private String config(String more) {
        return "cutover.apps {\n"
                + "  web { hosts = [\"web.test\"], target = \"" + web1.target() + "\" }\n"
                + "  api { hosts = [\"api.test\"], target = \"" + api.target() + "\" }\n"
                + "  shop { hosts = [\"shop.test\"], runtime = process, ports = [1, 2] }\n" + more + "}\n";
    }

    @AfterEach
    void stop() {
        cutover.close();
        web1.close();
        web2.close();
        api.close();
    }

    private String get(String host) throws Exception {
        try (RawHttp raw = new RawHttp(cutover.proxyAddress())) {
            return raw.send("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read().body();
        }
    }

    @Test
    void appNamesTheAppAndWithoutItACommandThatNeedsOneSaysWhichThereAre() throws Exception {
        CliRun r = CliRun.of("switch", web2.target().toString(), "--app", "web", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("web2", get("web.test"));
        assertEquals("api", get("api.test"), "the other app did not move");

        r = CliRun.of("switch", web1.target().toString(), "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("name one") && r.err().contains("apps: api, shop, web"), r.err());
        r = CliRun.of("maintenance", "on", "--app", "nope", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no app nope; apps: api, shop, web") && r.err().contains("HTTP 404"), r.err());
    }

    @Test
    void statusWithoutAnAppShowsEveryApp() {
        CliRun r = CliRun.of("status", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("== app api") && r.out().contains("== app web") && r.out().contains("== app shop"),
                r.out());
        assertTrue(r.out().contains("active    " + web1.target()), r.out());
        r = CliRun.of("status", "--app", "api", "--admin", admin, "--state-dir", dir.toString());
        assertTrue(!r.out().contains("== app") && r.out().contains("active    " + api.target()), r.out());
    }

    @Test
    void steeringACanaryWhenNoneRunsSaysSo() {
        CliRun r = CliRun.of("canary", "promote", "--app", "shop", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("app shop has no canary running") && r.err().contains("HTTP 409"), r.err());
        r = CliRun.of("canary", "set", "--app", "shop", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("set needs a PERCENT"), r.err());
    }

    @Test
    void reloadReadsTheFileAgainAndSaysWhatChanged() throws Exception {
        Files.writeString(file, config("  web2 { hosts = [\"www.test\"], target = \"" + web2.target() + "\" }\n"));
        CliRun r = CliRun.of("reload", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("reloaded: added web2, changed none, removed none, unchanged api, shop, web\n", r.out());
        assertEquals("web2", get("www.test"));
        Files.writeString(file, "cutover.apps { web { target = nowhere } }");
        r = CliRun.of("reload", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("reload refused: the configuration is invalid, nothing changed")
                && r.err().contains("cutover.apps.web.target"), r.err());
        assertEquals("web2", get("www.test"));
    }

    @Test
    void reloadSaysATargetChangedInTheFileIsWhereTheAppStartsAndSwitchesNothing() throws Exception {
        CliRun r = CliRun.of("switch", web2.target().toString(), "--app", "web", "--admin", admin, "--state-dir",
                dir.toString());
        assertEquals(0, r.code(), r.err());
        String elsewhere = "127.0.0.1:1";       // nothing listens there: a switch to it would fail its health check
        Files.writeString(file, config("").replace(web1.target().toString(), elsewhere)
                .replace(api.target().toString(), web1.target().toString()));
        r = CliRun.of("reload", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("reloaded: added none, changed api, web, removed none, unchanged shop\n"
                + "api: the target in the file is now " + web1.target() + ", where the app starts; it keeps serving "
                + api.target() + " (the file's target before). " + web1.target() + " takes effect at the next start of "
                + "cutover, or now with `cutover switch " + web1.target() + " --app api` (health-checked)\n"
                + "web: the target in the file is now " + elsewhere + ", where the app starts; it keeps serving "
                + web2.target() + " (a switch or a deploy chose it). " + elsewhere + " takes effect at the next start "
                + "of cutover, or now with `cutover switch " + elsewhere + " --app web` (health-checked)\n", r.out());
        assertEquals("web2", get("web.test"), "the switch stands");
        assertEquals("api", get("api.test"), "no app moved");
    }
}
