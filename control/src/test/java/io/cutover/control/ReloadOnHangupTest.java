package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals to `cutover serve`: SIGHUP reads its config file again, as `cutover reload` does;
 * SIGUSR1 opens the access log file again, as `cutover reopen-logs` does.
 */
@org.junit.jupiter.api.Timeout(120)     // a serve JVM start, a 10 s grace, then its exit
class ReloadOnHangupTest {
    @TempDir
    Path dir;

    private String config(TestBackend one, String more) {
        return "cutover.state-dir = \"" + dir + "\"\ncutover.apps {\n  one { hosts = [\"one.test\"], target = \""
                + one.target() + "\" }\n" + more + "}\n";
    }

    private static void hangup(Process p) throws Exception {
        signal(p, "HUP");
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    @Test
    void onSigtermTheLoadBalancersCheckFailsForTheGraceWhileRequestsAreStillServedThenItStops() throws Exception {
        try (TestBackend one = TestBackend.start("one")) {
            Path file = dir.resolve("cutover.conf");
            Files.writeString(file, config(one, "") + "cutover.lb-health { path = \"/lb\", grace = 10s }\n");
            try (ServeProcess serve = ServeProcess.start(List.of(), "--config", file.toString())) {
                int port = serve.proxyPort();
                assertEquals(200, status(port, "/lb"));
                signal(serve.process(), "TERM");
                Eventually.value(Duration.ofSeconds(20), "the check to fail", () -> status(port, "/lb"), s -> s == 503);
                assertEquals("one", get(port, "one.test"), "requests are still served during the grace");
                assertTrue(serve.process().waitFor(30, TimeUnit.SECONDS), "it stopped after the grace");
                assertEquals(0, serve.process().exitValue());
                assertTrue(serve.log().contains("/lb answers 503 for 10 s"), serve.log());
            }
        }
    }

    private static int status(int port, String path) throws Exception {
        try (RawHttp raw = new RawHttp(new InetSocketAddress("127.0.0.1", port))) {
            return raw.send("GET " + path + " HTTP/1.1\r\nHost: lb\r\n\r\n").read().status();
        }
    }

    @Test
    void aUsr1OpensTheAccessLogAgainAfterLogrotateMovedIt() throws Exception {
        try (TestBackend one = TestBackend.start("one")) {
            Path log = dir.resolve("access.log");
            Path file = dir.resolve("cutover.conf");
            Files.writeString(file, config(one, "") + "cutover.access-log.path = \"" + log + "\"\n");
            try (ServeProcess serve = ServeProcess.start(List.of(), "--config", file.toString())) {
                get(serve.proxyPort(), "one.test");
                Eventually.until(Duration.ofSeconds(20), "an access log line",
                        () -> Files.exists(log) && Files.size(log) > 0);
                Files.move(log, dir.resolve("access.log.1"));
                signal(serve.process(), "USR1");
                // reopening creates the file
                Eventually.until(Duration.ofSeconds(20), "the access log to be opened again", () -> Files.exists(log));
                get(serve.proxyPort(), "one.test");
                Eventually.value(Duration.ofSeconds(20), "a line in the new file", () -> Files.size(log), size -> size > 0);
                assertEquals(1, Files.readAllLines(dir.resolve("access.log.1")).size(), "the moved file got no more");
            }
        }
    }

    private static String get(int port, String host) throws Exception {
        try (RawHttp raw = new RawHttp(new InetSocketAddress("127.0.0.1", port))) {
            return raw.send("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read().body();
        }
    }

    @Test
    void aHangupAddsTheAppsTheFileNowNamesAndAnInvalidFileChangesNothing() throws Exception {
        try (TestBackend one = TestBackend.start("one"); TestBackend two = TestBackend.start("two")) {
            Path file = dir.resolve("cutover.conf");
            Files.writeString(file, config(one, ""));
            try (ServeProcess serve = ServeProcess.start(List.of(), "--config", file.toString())) {
                assertEquals("one", get(serve.proxyPort(), "one.test"));
                Files.writeString(file, config(one, "  two { hosts = [\"two.test\"], target = \"" + two.target() + "\" }\n"));
                hangup(serve.process());
                HttpClient http = TestHttp.client();
                java.net.http.HttpRequest status = TestAdmin.request("127.0.0.1:" + serve.adminPort(), TestAdmin.token(dir),
                        "GET", "/v1/status?app=two", null).build();
                Eventually.value(Duration.ofSeconds(20), "app two",
                        () -> http.send(status, HttpResponse.BodyHandlers.ofString()).statusCode(), code -> code == 200);
                assertEquals("two", get(serve.proxyPort(), "two.test"));

                Files.writeString(file, "cutover.apps { one { hosts = oops } ");
                hangup(serve.process());
                Eventually.value(Duration.ofSeconds(20), "the refusal in the log", serve::log,
                        l -> l.contains("reload on SIGHUP refused: the configuration is invalid, nothing changed"));
                assertEquals("two", get(serve.proxyPort(), "two.test"), "nothing changed");
                assertEquals("one", get(serve.proxyPort(), "one.test"));
            }
        }
    }
}
