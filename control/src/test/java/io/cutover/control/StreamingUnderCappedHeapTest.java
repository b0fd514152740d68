package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bodies are streamed, never held whole: 1 GiB each way through a proxy with a 128 MB heap. */
class StreamingUnderCappedHeapTest {
    private static final long GIB = 1L << 30;
    private static TestBackend app;
    private static ServeProcess serve;
    private final HttpClient http = TestHttp.client();

    @BeforeAll
    static void start() throws Exception {
        app = TestBackend.start("big");
        serve = ServeProcess.start(List.of("-Xmx128m"), "--target", app.target().toString());
    }

    @AfterAll
    static void stop() {
        serve.close();
        app.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + serve.proxyPort() + path);
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void downloadsOneGibibyteThroughA128MbHeap() throws Exception {
        HttpResponse<InputStream> r = http.send(TestHttp.request(uri("/download?bytes=" + GIB))
                .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream body = r.body()) {
            assertEquals(GIB, TestBackend.count(body));
        }
        assertEquals(true, serve.process().isAlive(), serve.log());
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void uploadsOneGibibyteThroughA128MbHeap() throws Exception {
        HttpResponse<String> r = http.send(TestHttp.request(uri("/upload"))
                .timeout(Duration.ofMinutes(3))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(GIB))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(Long.toString(GIB), r.body());
        assertEquals(true, serve.process().isAlive(), serve.log());
    }

    /** {@code n} zero bytes, produced on the fly (sent chunked: its length is not declared). */
    private static final class ZeroStream extends InputStream {
        private long left;

        ZeroStream(long n) {
            this.left = n;
        }

        @Override
        public int read() {
            if (left == 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
