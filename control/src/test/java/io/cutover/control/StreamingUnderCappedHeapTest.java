package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cutover.proxy.TestBackend;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bodies are streamed, never held whole: 1 GiB each way through a proxy with a 128 MB heap. */
class StreamingUnderCappedHeapTest {
    private static final long GIB = 1L << 30;
    private static TestBackend app;
    private static ServeProcess serve;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        app = TestBackend.start("big");
        // leak detection at its default here: paranoid tracking of a GiB of buffers is a test of patience
        serve = ServeProcess.start(List.of("-Xmx128m", "-Dio.netty.leakDetection.level=simple"),
                "--target", app.target().toString());
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
    void downloadsOneGibibyteThroughA128MbHeap() throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri("/download?bytes=" + GIB))
                .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream body = r.body()) {
            assertEquals(GIB, TestBackend.count(body));
        }
        assertEquals(true, serve.process().isAlive(), serve.log());
    }

    @Test
    void uploadsOneGibibyteThroughA128MbHeap() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/upload"))
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
