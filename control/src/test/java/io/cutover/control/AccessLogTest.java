package io.cutover.control;

import io.cutover.control.observe.AccessLogWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.config.AccessLogSettings;
import io.cutover.proxy.AccessLog;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
    @TempDir
    Path dir;

    private static List<String> awaitLines(Path file, int n) throws Exception {
        return Eventually.value(Duration.ofSeconds(15), n + " lines in " + file,
                () -> Files.exists(file) ? Files.readAllLines(file) : List.<String>of(), lines -> lines.size() >= n);
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
                // reopening creates the file
                Eventually.until(Duration.ofSeconds(15), "the file to be opened again", () -> Files.exists(file));
                raw.send("GET /z HTTP/1.1\r\nHost: shop\r\n\r\n").read();
                Eventually.until(Duration.ofSeconds(15), "the request after the reopen in the new file",
                        () -> Files.readAllLines(file).stream().anyMatch(l -> l.contains("GET /z ")));
                assertEquals(1, Files.readAllLines(dir.resolve("access.log.1")).size(), "the old file got no more lines");
            }
        }
    }

    /** A combined line: exactly these 14 fields, each quoted one free of quotes (a {@code "} in it is {@code \\x22}). */
    private static final Pattern COMBINED = Pattern.compile("([^ \"]+) - - \\[[^\\]]+] \"([^\"]*)\" (\\d+) (\\d+) "
            + "\"([^\"]*)\" \"([^\"]*)\" (\\d+\\.\\d{3}) ([^ \"]+) \"([^\"]*)\" ([^ \"]+) ([^ \"]+)");

    /** Quotes, backslashes, a tab, UTF-8 bytes (é) and a forged line's pieces: what a parser lets through. */
    private static final String HOSTILE_TARGET = "/a\"b\\c/\u00c3\u00a9?q=\"x\"&r=\\";
    private static final String HOSTILE_AGENT = "evil\" 200 1 \"-\" \"\t\u00c3\u00a9 \\\" - [x]";
    private static final String HOSTILE_HOP = "6.6.6.6\" - - [01/Jan/2000:00:00:00 +0000] \"GET /forged \u00c3\u00a9\tx";

    private List<String> hostileRequestsLogged(String format, int n) throws Exception {
        Path file = dir.resolve("access-" + format + ".log");
        try (TestBackend app = TestBackend.start("app");
             TestCutover c = TestCutover.start(java.util.Map.of("cutover.target", app.target().toString(),
                     "cutover.trusted-proxies", List.of("127.0.0.0/8"),     // the hop is the client's, so client-chosen
                     "cutover.access-log.path", file.toString(), "cutover.access-log.format", format))) {
            for (int i = 0; i < n; i++) {
                try (RawHttp raw = new RawHttp(c.cutover().proxyAddress())) {     // the app may refuse the target and close
                    raw.send("GET " + HOSTILE_TARGET + i + " HTTP/1.1\r\nHost: shop\r\nUser-Agent: "
                            + HOSTILE_AGENT + "\r\nReferer: " + HOSTILE_AGENT + "\r\nX-Forwarded-For: " + HOSTILE_HOP
                            + "\r\nX-Request-Id: id\" \\" + i + "\r\n\r\n").read();
                }
            }
            List<String> lines = awaitLines(file, n);
            String metrics = c.admin("GET", "/metrics", null).body();
            assertTrue(Pattern.compile("(?m)^# HELP cutover_access_log_dropped_total \\S+").matcher(metrics).find(), metrics);
            byte[] bytes = Files.readAllBytes(file);
            for (byte b : bytes) {
                assertTrue(b == '\n' || b >= 0x20 && b < 0x7f, "only printable ASCII and line ends: " + (b & 0xff));
            }
            assertEquals(n, lines.size(), "one line per request:\n" + String.join("\n", lines));
            return lines;
        }
    }

    @Test
    void aClientCannotForgeOrSplitAJsonLineWithQuotesBackslashesTabsOrNonAscii() throws Exception {
        List<String> lines = hostileRequestsLogged("json", 3);
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(i));
            assertEquals(HOSTILE_TARGET + i, line.get("target").asText(), "the request's bytes, as received");
            assertEquals("id\" \\" + i, line.get("requestId").asText());
            assertTrue(line.get("status").asInt() >= 200, lines.get(i));
        }
    }

    @Test
    void aClientCannotForgeOrSplitACombinedLineTheFieldsAreEscapedAsNginxDoes() throws Exception {
        List<String> lines = hostileRequestsLogged("combined", 3);
        for (int i = 0; i < lines.size(); i++) {
            java.util.regex.Matcher m = COMBINED.matcher(lines.get(i));
            assertTrue(m.matches(), "14 fields: " + lines.get(i));
            assertEquals("GET /a\\x22b\\x5Cc/\\xC3\\xA9?q=\\x22x\\x22&r=\\x5C" + i + " HTTP/1.1", m.group(2));
            assertEquals("evil\\x22 200 1 \\x22-\\x22 \\x22\\x09\\xC3\\xA9 \\x5C\\x22 - [x]", m.group(6));
            assertEquals(m.group(6), m.group(5), "the referer too");
            assertEquals("id\\x22\\x20\\x5C" + i, m.group(11), "a bare field escapes a space too");
        }
    }

    /** Every string field of an entry with what a parser would never let through, yet a writer must survive. */
    @Test
    void noFieldCanEndALineOrCarryAControlCharacterInEitherFormat() throws Exception {
        String evil = "a\"b\\c\r\nd\u001b[31m\u00e9\u2028\u0000 e";
        AccessLog.Entry entry = new AccessLog.Entry(0, evil, evil, evil, 200, 1, 1, 1_000_000, evil, evil, evil, evil,
                evil, evil);
        for (AccessLogSettings.Format format : AccessLogSettings.Format.values()) {
            AccessLogWriter w = new AccessLogWriter(new AccessLogSettings(dir.resolve("f.log").toString(), format),
                    new SimpleMeterRegistry(), OutputStream.nullOutputStream());
            try {
                String line = w.format(entry);
                assertTrue(line.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f), "printable ASCII only: " + line);
                if (format == AccessLogSettings.Format.JSON) {
                    JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
                    for (String field : List.of("client", "method", "target", "app", "version", "backend", "requestId")) {
                        assertEquals(evil, json.get(field).asText(), field);
                    }
                } else {
                    java.util.regex.Matcher m = COMBINED.matcher(line);
                    assertTrue(m.matches(), "14 fields: " + line);
                    String quoted = "a\\x22b\\x5Cc\\x0D\\x0Ad\\x1B[31m\\xE9\\xE2\\x80\\xA8\\x00 e";
                    String bare = quoted.replace(" ", "\\x20");
                    assertEquals(List.of(bare, quoted + " " + quoted + " HTTP/1.1", quoted, quoted, bare, quoted, bare, bare),
                            List.of(m.group(1), m.group(2), m.group(5), m.group(6), m.group(8), m.group(9), m.group(10),
                                    m.group(11)));
                }
            } finally {
                w.close();
            }
        }
    }

    @Test
    void theClientChosenFieldsAreCutWhenTheEntryIsMadeAndTheCutIsMarked() {
        String huge = "x".repeat(20_000);
        AccessLog.Entry e = new AccessLog.Entry(0, huge, huge, huge, 200, 1, 1, 1, "app", "v1", "b:1", huge, huge, huge);
        assertEquals(List.of(64, 32, 2048, 128, 512, 512), List.of(e.client().length(), e.method().length(),
                e.target().length(), e.requestId().length(), e.referer().length(), e.userAgent().length()));
        for (String cut : List.of(e.client(), e.method(), e.target(), e.requestId(), e.referer(), e.userAgent())) {
            assertTrue(cut.endsWith("x..."), cut);
        }
        AccessLog.Entry small = new AccessLog.Entry(0, "1.2.3.4", "GET", "/", 200, 1, 1, 1, "app", "v1", "b:1", "id",
                null, "curl/8");
        assertEquals(List.of("1.2.3.4", "GET", "/", "id", "curl/8"), java.util.Arrays.asList(small.client(),
                small.method(), small.target(), small.requestId(), small.userAgent()), "short fields are kept whole");
    }

    /** A sink that takes nothing until let go, as a stdout nobody reads does (every wait bounded). */
    private static final class StalledSink extends OutputStream {
        final CountDownLatch letGo = new CountDownLatch(1);

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                if (!letGo.await(60, TimeUnit.SECONDS)) {
                    throw new IOException("never let go");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            }
        }
    }

    @Test
    void withTheWriterStuckAFloodOfLongUrlsStaysWithinTheBufferIsCountedAsDroppedAndTheProxyKeepsAnswering()
            throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        long budget = 64 << 10;     // the least the config allows
        StalledSink sink = new StalledSink();
        AccessLogWriter writer = new AccessLogWriter(new AccessLogSettings("-", AccessLogSettings.Format.COMBINED,
                budget), meters, sink);
        int throughProxy = 50;     // enough to fill the buffer: a cut entry holds over 3 KiB
        int direct = 20_000;
        try {
            try (TestBackend app = TestBackend.start("app"); TestProxy proxy = TestProxy.start()) {
                proxy.switchTo(app.target());
                proxy.server().accessLog(writer);
                String head = "GET /" + "u".repeat(8_000) + " HTTP/1.1\r\nHost: a\r\nUser-Agent: " + "a".repeat(7_000)
                        + "\r\nReferer: " + "r".repeat(7_000) + "\r\n\r\n";     // as long as the default limits allow
                try (RawHttp raw = new RawHttp(proxy.address())) {
                    for (int i = 0; i < throughProxy; i += 10) {
                        raw.send(head.repeat(10));     // pipelined, ten at a time
                        for (int j = i; j < i + 10; j++) {
                            assertEquals(200, raw.read().status(), "request " + j);
                        }
                        assertTrue(writer.queuedBytes() <= budget, writer.queuedBytes() + " bytes queued");
                    }
                }
            }
            String url = "/" + "x".repeat(20_000);
            for (int i = 0; i < direct; i++) {
                writer.log(new AccessLog.Entry(0, "127.0.0.1", "GET", url + i, 200, 20_000, 10, 1, "a", "v", "b",
                        "id", url, url));
                assertTrue(writer.queuedBytes() <= budget, writer.queuedBytes() + " bytes queued");
            }
            assertTrue(writer.queuedBytes() > budget / 2, "the buffer was used: " + writer.queuedBytes());
            double dropped = meters.get("cutover.access.log.dropped").counter().count();
            // every entry holds a cut target of 2048 chars, so at most budget / 2048 fit
            assertTrue(dropped >= throughProxy + direct - budget / 2048 && dropped < throughProxy + direct,
                    "dropped " + dropped);
        } finally {
            sink.letGo.countDown();
            writer.close();
        }
        assertEquals(0, writer.queuedBytes(), "what was queued is written and let go");
    }
}
