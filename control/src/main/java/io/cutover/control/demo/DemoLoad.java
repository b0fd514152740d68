package io.cutover.control.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The demo's clients: a few threads sending requests through cutover, each from another client
 * address (as a load balancer forwards them), until stopped or the request budget is spent.
 * Counts who answered, and what failed: a request cutover did not get answered (a connection
 * error, or a 502, 503 or 504 of its own) is a failure; an app's own 500 is counted apart.
 */
public final class DemoLoad implements AutoCloseable {
    private final Map<String, LongAdder> answeredBy = new ConcurrentHashMap<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder appErrors = new LongAdder();
    private final AtomicLong budget;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());

    public DemoLoad(URI uri, int clients, long maxRequests) {
        this.budget = new AtomicLong(maxRequests);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> run(http, uri, client), "demo-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run(HttpClient http, URI uri, int client) {
        for (long i = 0; !stop.get() && budget.decrementAndGet() >= 0; i++) {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .header("X-Forwarded-For", "198.51." + client + "." + (i % 250)).build();
            sent.increment();
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    answeredBy.computeIfAbsent(r.body(), v -> new LongAdder()).increment();
                } else if (r.statusCode() == 500 && r.body().endsWith("failed on purpose")) {
                    appErrors.increment();
                } else {
                    fail(r.statusCode() + " " + r.body().strip());
                }
            } catch (IOException e) {
                fail(e.toString());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void fail(String what) {
        failed.increment();
        if (failures.size() < 10) {
            failures.add(what);
        }
    }

    public long sent() {
        return sent.sum();
    }

    public long failed() {
        return failed.sum();
    }

    /** 500s the apps answered themselves (the failing canary's). */
    public long appErrors() {
        return appErrors.sum();
    }

    /** Successful answers by version, so far. */
    public Map<String, Long> answeredBy() {
        Map<String, Long> m = new TreeMap<>();
        answeredBy.forEach((v, n) -> m.put(v, n.sum()));
        return m;
    }

    /** The first failures, for the report. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
