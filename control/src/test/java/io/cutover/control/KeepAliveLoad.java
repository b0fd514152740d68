package io.cutover.control;

import io.cutover.proxy.RawHttp;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Clients looping GET / on their own keep-alive connections until stopped (bounded in time). */
final class KeepAliveLoad implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch stopped;

    private KeepAliveLoad(InetSocketAddress proxy, int clients, long maxSeconds) {
        stopped = new CountDownLatch(clients);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try (RawHttp raw = new RawHttp(proxy)) {
                    while (running.get() && System.nanoTime() < deadline) {
                        RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read();
                        requests.incrementAndGet();
                        if (r.status() != 200) {
                            failures.add("status " + r.status() + ": " + r.body().trim());
                        } else {
                            bodies.add(r.body().trim());
                        }
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                } finally {
                    stopped.countDown();
                }
            }, "load-" + c);
            t.setDaemon(true);
            t.start();
        }
    }

    static KeepAliveLoad start(InetSocketAddress proxy, int clients) {
        return new KeepAliveLoad(proxy, clients, 120);
    }

    /** Stops the clients and returns the failures they saw (the first 20, then how many more). */
    List<String> stop() throws InterruptedException {
        running.set(false);
        if (!stopped.await(30, TimeUnit.SECONDS)) {
            failures.add("clients did not stop");
        }
        List<String> all = new ArrayList<>(failures);
        if (all.size() <= 20) {
            return all;
        }
        List<String> first = new ArrayList<>(all.subList(0, 20));
        first.add("... and " + (all.size() - 20) + " more");
        return first;
    }

    int requests() {
        return requests.get();
    }

    /** Waits (bounded) until the clients have had {@code n} requests answered. */
    void awaitRequests(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (requests.get() < n) {
            if (System.nanoTime() > deadline || stopped.getCount() == 0) {
                throw new AssertionError("only " + requests.get() + " requests answered; failures: " + failures);
            }
            Thread.sleep(5);
        }
    }

    /** Waits (bounded) until some client has been answered by {@code version}. */
    void awaitVersion(String version) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!bodies.contains(version)) {
            if (System.nanoTime() > deadline || stopped.getCount() == 0) {
                throw new AssertionError("never answered by " + version + ", only by " + versionsSeen()
                        + "; failures: " + failures);
            }
            Thread.sleep(5);
        }
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
