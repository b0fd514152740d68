package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.config.AccessLogSettings;
import io.cutover.proxy.AccessLog;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
    @TempDir
    Path dir;

    private static List<String> awaitLines(Path file, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            if (lines.size() >= n) {
                return lines;
            }
            assertTrue(System.nanoTime() < deadline, "only " + lines.size() + " of " + n + " lines in " + file);
            Thread.sleep(20);
        }
    }

    @Test
    void everyRequestIsOneJsonLineAndARequestWithoutAnIdIsGivenOneTheAppSeesToo() throws Exception {
        Path file = dir.resolve("access.log");
        try (TestBackend app = TestBackend.start("app");
             TestCutover c = TestCutover.start("cutover.app.name", "shop", "cutover.app.runtime", "process",
                     "cutover.state-dir", dir.toString(), "cutover.access-log.path", file.toString())) {
            c.switchTo(app.target().toString());
            String seen;
            try (RawHttp raw = new RawHttp(c.cutover().proxyAddress())) {
                raw.send("GET /?a=1 HTTP/1.1\r\nHost: shop\r\nX-Request-Id: abc-1\r\n\r\n").read();
                seen = raw.send("POST /headers HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 203.0.113.9\r\n"
                        + "Content-Length: 5\r\n\r\nhello").read().body();
            }
            List<String> lines = awaitLines(file, 2);
            JsonNode first = c.json(lines.get(0));
            assertEquals("GET", first.get("method").asText());
            assertEquals("/?a=1", first.get("target").asText());
            assertEquals(200, first.get("status").asInt());
            assertEquals("abc-1", first.get("requestId").asText(), "passed through");
            assertEquals("shop", first.get("app").asText());
            assertEquals(app.target().toString(), first.get("backend").asText());
            assertEquals("127.0.0.1", first.get("client").asText());
            assertTrue(first.get("bytesOut").asLong() > 0 && first.get("durationMs").asDouble() >= 0, lines.get(0));
            assertTrue(first.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), lines.get(0));
            JsonNode second = c.json(lines.get(1));
            assertEquals("203.0.113.9", second.get("client").asText(), "after the trusted-proxy rules");
            String id = second.get("requestId").asText();
            assertTrue(id.matches("[0-9a-f]{16}"), id);
            assertTrue(seen.toLowerCase().contains("x-request-id: " + id), "the app got the id it was given: " + seen);
            long head = ("POST /headers HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 203.0.113.9\r\n"
                    + "Content-Length: 5\r\n\r\n").length();
            assertEquals(head + 5, second.get("bytesIn").asLong());
        }
    }

    @Test
    void theCombinedFormatIsNginxsWithDurationAppVersionBackendAndIdAfterAndReopenStartsANewFile() throws Exception {
        Path file = dir.resolve("access.log");
        try (TestBackend app = TestBackend.start("app");
             TestCutover c = TestCutover.start("cutover.target", app.target().toString(),
                     "cutover.access-log.path", file.toString(), "cutover.access-log.format", "combined")) {
            try (RawHttp raw = new RawHttp(c.cutover().proxyAddress())) {
                raw.send("GET /x HTTP/1.1\r\nHost: shop\r\nUser-Agent: curl/8\r\nReferer: http://a/\r\n\r\n").read();
                String line = awaitLines(file, 1).get(0);
                assertTrue(Pattern.matches("127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] "
                        + "\"GET /x HTTP/1\\.1\" 200 \\d+ \"http://a/\" \"curl/8\" \\d+\\.\\d{3} default \""
                        + Pattern.quote(app.target().toString()) + "\" " + Pattern.quote(app.target().toString())
                        + " [0-9a-f]{16}", line), line);

                Files.move(file, dir.resolve("access.log.1"));     // logrotate
                assertEquals(200, c.admin("POST", "/v1/reopen-logs", "{}").statusCode());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!Files.exists(file)) {     // reopening creates the file
                    assertTrue(System.nanoTime() < deadline, "the file was never opened again");
                    Thread.sleep(20);
                }
                raw.send("GET /z HTTP/1.1\r\nHost: shop\r\n\r\n").read();
                while (Files.readAllLines(file).stream().noneMatch(l -> l.contains("GET /z "))) {
                    assertTrue(System.nanoTime() < deadline, "the request after the reopen is not in the new file");
                    Thread.sleep(20);
                }
                assertEquals(1, Files.readAllLines(dir.resolve("access.log.1")).size(), "the old file got no more lines");
            }
        }
    }

    @Test
    void linesTheWriterCannotTakeAreDroppedAndCountedNeverWaitedFor() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        AccessLogWriter held = new AccessLogWriter(new AccessLogSettings(dir.resolve("a.log").toString(),
                AccessLogSettings.Format.JSON), meters, 16, false);
        try {
            for (int i = 0; i < 5000; i++) {     // the queue holds at least a chunk of 1024, at most 2048 here
                held.log(new AccessLog.Entry(0, "c", "GET", "/", 200, 1, 1, 1, "a", "v", "b", "id", null, null));
            }
            double dropped = meters.get("cutover.access.log.dropped").counter().count();
            assertTrue(dropped >= 5000 - 2048 && dropped <= 5000 - 1024, "dropped " + dropped);
        } finally {
            held.close();
        }
    }
}
