package io.cutover.control.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The web app `cutover demo` deploys: it answers its version on every path, on 127.0.0.1:$PORT,
 * as the process runtime starts it. {@code DEMO_HEALTH=fail} makes its /health answer 503 (a
 * version whose deploy is refused); {@code DEMO_FAIL_EVERY=N} answers 500 to every N-th request
 * (a canary that aborts itself).
 */
public final class DemoApp {
    private DemoApp() {
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");     // else small answers wait for delayed ACKs
        String version = args[0];
        int port = Integer.parseInt(System.getenv("PORT"));
        boolean healthy = !"fail".equals(System.getenv("DEMO_HEALTH"));
        String every = System.getenv("DEMO_FAIL_EVERY");
        int failEvery = every == null ? 0 : Integer.parseInt(every);
        AtomicLong served = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/health")) {
                reply(ex, healthy ? 200 : 503, healthy ? "ok" : "not ready: its config is broken");
            } else if (failEvery > 0 && served.incrementAndGet() % failEvery == 0) {
                reply(ex, 500, version + " failed on purpose");
            } else {
                reply(ex, 200, version);
            }
        });
        server.start();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
