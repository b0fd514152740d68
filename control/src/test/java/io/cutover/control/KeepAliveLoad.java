package io.cutover.control;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients looping GET / (or GET and POST / with a body, {@link #withPosts}) until stopped (bounded
 * in time): on keep-alive connections, each opening
 * a new one only after a response that said {@code Connection: close} (as any HTTP client does);
 * or on a new connection for each request. A refused connection, one closed or reset before its
 * response, and an answer other than 200 are failures.
 */
final class KeepAliveLoad implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger reconnects = new AtomicInteger();
    private final CountDownLatch stopped;

    private KeepAliveLoad(InetSocketAddress proxy, int clients, long maxSeconds, boolean connectionPerRequest) {
        this(proxy, clients, maxSeconds, connectionPerRequest, false);
    }

    /** @param posts every other request of each client is a POST with a body */
    private KeepAliveLoad(InetSocketAddress proxy, int clients, long maxSeconds, boolean connectionPerRequest,
                          boolean posts) {
        stopped = new CountDownLatch(clients);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                RawHttp raw = null;
                int sent = 0;
                try {
                    while (running.get() && System.nanoTime() < deadline) {
                        if (raw == null) {
                            raw = new RawHttp(proxy);
                        }
                        String close = connectionPerRequest ? "Connection: close\r\n" : "";
                        String body = "order " + sent + " of client " + Thread.currentThread().getName();
                        RawHttp.Response r = raw.send(posts && sent++ % 2 == 1
                                ? "POST / HTTP/1.1\r\nHost: app\r\n" + close + "Content-Length: " + body.length()
                                        + "\r\n\r\n" + body
                                : "GET / HTTP/1.1\r\nHost: app\r\n" + close + "\r\n").read();
                        requests.incrementAndGet();
                        if (r.status() != 200) {
                            failures.add("status " + r.status() + ": " + r.body().trim());
                        } else {
                            bodies.add(r.body().trim());
                        }
                        if (connectionPerRequest || "close".equalsIgnoreCase(r.header("connection"))) {
                            raw.close();
                            raw = null;
                            reconnects.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                } finally {
                    if (raw != null) {
                        try {
                            raw.close();
                        } catch (java.io.IOException e) {
                            // closing
                        }
                    }
                    stopped.countDown();
                }
            }, "load-" + c);
            t.setDaemon(true);
            t.start();
        }
    }

    static KeepAliveLoad start(InetSocketAddress proxy, int clients) {
        return new KeepAliveLoad(proxy, clients, 120, false);
    }

    /** Clients sending GETs and POSTs with a body (each client about every other request) on keep-alive connections. */
    static KeepAliveLoad withPosts(InetSocketAddress proxy, int clients) {
        return new KeepAliveLoad(proxy, clients, 120, false, true);
    }

    /** Each request on a connection of its own. */
    static KeepAliveLoad connectionPerRequest(InetSocketAddress proxy, int clients) {
        return new KeepAliveLoad(proxy, clients, 120, true);
    }

    /** Connections closed after a response (by the server's Connection: close, or per request). */
    int reconnects() {
        return reconnects.get();
    }

    /** Stops the clients and returns the failures they saw (the first 20, then how many more). */
    List<String> stop() throws InterruptedException {
        running.set(false);
        if (!stopped.await(30, TimeUnit.SECONDS)) {
            failures.add("clients did not stop");
        }
        return io.cutover.proxy.InFlightClients.firstOf(failures);
    }

    int requests() {
        return requests.get();
    }

    /** Waits (bounded) until the clients have had {@code n} requests answered. */
    void awaitRequests(int n) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), n + " requests answered", () -> requests.get() >= n || !stillRunning());
    }

    /** Waits (bounded) until some client has been answered by {@code version}. */
    void awaitVersion(String version) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), "an answer by " + version,
                () -> bodies.contains(version) || !stillRunning());
    }

    /** Fails at once if every client has stopped: what they wait for would never come. */
    private boolean stillRunning() {
        if (stopped.getCount() == 0) {
            throw new AssertionError("the clients stopped after " + requests.get() + " requests, answered by "
                    + versionsSeen() + "; failures: " + failures);
        }
        return true;
    }

    /** Every failure seen so far (not only the first 20). */
    List<String> allFailures() {
        return List.copyOf(failures);
    }

    /** The distinct bodies answered, in the order first seen. */
    List<String> versionsSeen() {
        return bodies.stream().distinct().toList();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
