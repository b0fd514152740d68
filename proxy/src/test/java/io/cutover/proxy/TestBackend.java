package io.cutover.proxy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend on 127.0.0.1, port 0 (the JDK's HttpServer). Every answer names the
 * backend, so a test can tell which one served a request.
 * <ul>
 *   <li>{@code /} and anything else: the name</li>
 *   <li>{@code /health}: 200, or the status set by {@link #healthStatus(int)}</li>
 *   <li>{@code /slow?ms=N}: the name after N ms</li>
 *   <li>{@code /stream?chunks=N&ms=M}: N chunked pieces, M ms apart</li>
 *   <li>{@code /headers}: the request headers it got, one {@code name: value} per line, lower case</li>
 *   <li>{@code /download?bytes=N}: N bytes, chunked</li>
 *   <li>{@code /upload}: reads the body and answers how many bytes it read</li>
 * </ul>
 */
public final class TestBackend implements AutoCloseable {
    static {
        // the JDK server writes head and body separately; with Nagle on, every keep-alive
        // response waits ~40 ms for a delayed ACK
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile int healthStatus = 200;
    private volatile long healthDelayMs;
    private volatile int failEvery;
    private final AtomicInteger plain = new AtomicInteger();

    private TestBackend(String name) throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static TestBackend start(String name) throws IOException {
        return new TestBackend(name);
    }

    public String name() {
        return name;
    }

    public Target target() {
        return new Target("127.0.0.1", server.getAddress().getPort());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests answered so far, health checks included. */
    public int requests() {
        return requests.get();
    }

    /** Every request it got, as {@code METHOD target}, in order. */
    public List<String> seen() {
        return List.copyOf(seen);
    }

    public void healthStatus(int status) {
        this.healthStatus = status;
    }

    /** Makes every health check answer only after this long. */
    /** Every n-th request to any other path than those above is answered 500 (0: none). */
    public void failEvery(int n) {
        failEvery = n;
    }

    public void healthDelayMs(long ms) {
        this.healthDelayMs = ms;
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        seen.add(ex.getRequestMethod() + " " + ex.getRequestURI());
        try (ex) {
            URI uri = ex.getRequestURI();
            Map<String, String> q = query(uri);
            switch (uri.getPath()) {
                case "/health" -> {
                    sleep(healthDelayMs);
                    reply(ex, healthStatus, name);
                }
                case "/slow" -> {
                    sleep(Long.parseLong(q.getOrDefault("ms", "1000")));
                    reply(ex, 200, name);
                }
                case "/stream" -> stream(ex, Integer.parseInt(q.getOrDefault("chunks", "5")),
                        Long.parseLong(q.getOrDefault("ms", "100")));
                case "/headers" -> reply(ex, 200, headers(ex.getRequestHeaders()));
                case "/download" -> download(ex, Long.parseLong(q.getOrDefault("bytes", "0")));
                case "/upload" -> {
                    long n = ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
                    reply(ex, 200, Long.toString(n));
                }
                default -> {
                    ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
                    int every = failEvery;
                    reply(ex, every > 0 && plain.incrementAndGet() % every == 0 ? 500 : 200, name);
                }
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private void stream(HttpExchange ex, int chunks, long pauseMs) throws IOException {
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        for (int i = 0; i < chunks; i++) {
            out.write((name + " " + i + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            sleep(pauseMs);
        }
    }

    private static void download(HttpExchange ex, long bytes) throws IOException {
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        byte[] block = new byte[64 * 1024];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) i;
        }
        long left = bytes;
        while (left > 0) {
            int n = (int) Math.min(block.length, left);
            out.write(block, 0, n);
            left -= n;
        }
    }

    private static String headers(Headers headers) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(headers).forEach((k, vs) -> vs.forEach(
                v -> sb.append(k.toLowerCase()).append(": ").append(v).append('\n')));
        return sb.toString();
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new TreeMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    q.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        return q;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);   // deliberate: a slow app, as the request asks
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drains and discards a stream (used by tests that only count bytes). */
    public static long count(InputStream in) throws IOException {
        return in.transferTo(OutputStream.nullOutputStream());
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
