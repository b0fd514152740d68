package io.cutover.control.deploy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A tiny app for process-runtime tests: listens on 127.0.0.1:$PORT, answers $VERSION on every
 * path, $HEALTH_STATUS (default 200) on /up, and sleeps ?ms= on /slow. $STARTUP_DELAY_MS delays
 * its start. With $FAIL_EVERY=n, every n-th request to a path other than /up is answered 500 (with
 * $VERSION): a version that fails only once it takes traffic. With $SICK_FILE, /up answers 503
 * while that file exists.
 */
public final class VersionApp {
    private VersionApp() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int port = Integer.parseInt(System.getenv("PORT"));
        String version = System.getenv().getOrDefault("VERSION", "unknown");
        int health = Integer.parseInt(System.getenv().getOrDefault("HEALTH_STATUS", "200"));
        int failEvery = Integer.parseInt(System.getenv().getOrDefault("FAIL_EVERY", "0"));
        java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();
        System.out.println("version " + version + " starting on port " + port);
        // deliberate: the app under test takes this long to start, as the test asks
        Thread.sleep(Long.parseLong(System.getenv().getOrDefault("STARTUP_DELAY_MS", "0")));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        server.createContext("/", ex -> {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
                if (path.equals("/slow")) {
                    String q = ex.getRequestURI().getQuery();
                    sleep(Long.parseLong(q == null ? "1000" : q.replace("ms=", "")));
                }
                String sick = System.getenv("SICK_FILE");
                int status = path.equals("/up") ? (sick != null && java.nio.file.Files.exists(java.nio.file.Path.of(sick))
                        ? 503 : health)
                        : failEvery > 0 && served.incrementAndGet() % failEvery == 0 ? 500 : 200;
                reply(ex.getResponseBody(), ex, status, version);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        System.out.println("version " + version + " listening");
    }

    private static void reply(OutputStream out, com.sun.net.httpserver.HttpExchange ex, int status, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        out.write(bytes);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);   // deliberate: a slow app, as the request asks
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
