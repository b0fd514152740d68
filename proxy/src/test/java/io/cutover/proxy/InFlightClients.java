package io.cutover.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The harshest keep-alive clients, as wrk and a load balancer's pool are: each connection always
 * has a request in flight (the next is written the moment a response ended), never retries, and
 * opens a new connection only after a response that said {@code Connection: close}. Every other
 * request is a POST whose body goes out in two writes (so a stop can come while it is under way).
 *
 * <p>A failure is a request written (or begun) and not answered: an end of stream or a reset
 * after it, a response cut short, a status other than 200. A connection refused is not one (no
 * request went out): with {@code untilRefused}, a client ends there (the listener is closed).
 * Bounded: each client stops after {@code maxSeconds}; every read times out.
 */
public final class InFlightClients implements AutoCloseable {
    private static final byte[] BODY = "x".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII);

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger told = new AtomicInteger();
    private final CountDownLatch ended;

    private InFlightClients(InetSocketAddress proxy, int clients, boolean untilRefused, long maxSeconds) {
        ended = new CountDownLatch(clients);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        for (int c = 0; c < clients; c++) {
            int id = c;
            Thread t = new Thread(() -> run(proxy, id, untilRefused, deadline), "in-flight-" + c);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Clients that go on (to whoever accepts next) until stopped. */
    public static InFlightClients start(InetSocketAddress proxy, int clients) {
        return new InFlightClients(proxy, clients, false, 60);
    }

    /** The same, going on for at most {@code maxSeconds}. */
    public static InFlightClients start(InetSocketAddress proxy, int clients, long maxSeconds) {
        return new InFlightClients(proxy, clients, false, maxSeconds);
    }

    /** Clients that end once a new connection is refused (the proxy stopped listening). */
    public static InFlightClients untilRefused(InetSocketAddress proxy, int clients) {
        return new InFlightClients(proxy, clients, true, 60);
    }

    private void run(InetSocketAddress proxy, int id, boolean untilRefused, long deadline) {
        Socket s = null;
        InputStream in = null;
        int n = 0;
        try {
            while (running.get() && System.nanoTime() < deadline) {
                if (s == null) {
                    try {
                        s = RawHttp.socket(proxy);
                        in = new java.io.BufferedInputStream(s.getInputStream());
                    } catch (ConnectException e) {
                        if (untilRefused) {
                            return;
                        }
                        failures.add("client " + id + ": connection refused");
                        return;
                    } catch (IOException e) {
                        failures.add("client " + id + ": connecting: " + e);
                        return;
                    }
                }
                Kind kind = Kind.values()[(n++ + id) % Kind.values().length];
                String sent = kind.toString();
                try {
                    if (!exchange(s, in, kind)) {
                        told.incrementAndGet();
                        s.close();
                        s = null;
                    }
                    answered.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    failures.add("client " + id + ": " + sent + " after " + answered.get() + " answers: " + e);
                    return;
                }
            }
        } finally {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            ended.countDown();
        }
    }

    /** The requests each client sends in turn. */
    private enum Kind {
        GET,
        /** Its body goes out in two writes. */
        POST,
        /** A response that comes in several parts (chunked, a few ms apart): a stop can land inside it. */
        STREAM
    }

    /** One request and its whole response; whether the connection stays open. */
    private static boolean exchange(Socket s, InputStream in, Kind kind) throws IOException {
        OutputStream out = s.getOutputStream();
        boolean post = kind == Kind.POST;
        if (kind == Kind.STREAM) {
            out.write("GET /stream?chunks=3&ms=2 HTTP/1.1\r\nHost: app\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (post) {
            out.write(("POST /upload HTTP/1.1\r\nHost: app\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(BODY, 0, BODY.length / 2);
            out.flush();
            Thread.yield();
            out.write(BODY, BODY.length / 2, BODY.length - BODY.length / 2);
        } else {
            out.write("GET / HTTP/1.1\r\nHost: app\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
        String status = RawHttp.line(in);
        if (status == null) {
            throw new IOException("closed before a response (end of stream)");
        }
        int length = -1;
        boolean close = false;
        boolean chunked = false;
        for (String h = RawHttp.line(in); h != null && !h.isEmpty(); h = RawHttp.line(in)) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        byte[] body;
        if (chunked) {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
                byte[] chunk = in.readNBytes(size + 2);
                if (chunk.length < size + 2) {
                    throw new IOException("response cut inside a chunk");
                }
                all.write(chunk, 0, size);
            }
            if (RawHttp.line(in) == null) {
                throw new IOException("response cut before its end");
            }
            body = all.toByteArray();
        } else if (length < 0) {
            throw new IOException("neither Content-Length nor chunked: " + status);
        } else {
            body = in.readNBytes(length);
            if (body.length < length) {
                throw new IOException("response cut after " + body.length + " of " + length + " bytes");
            }
        }
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IOException(status + ": " + new String(body, StandardCharsets.UTF_8));
        }
        if (post && !new String(body, StandardCharsets.US_ASCII).equals(Integer.toString(BODY.length))) {
            throw new IOException("the app got " + new String(body, StandardCharsets.UTF_8) + " bytes of the body");
        }
        return !close;
    }

    private static int chunkSize(InputStream in) throws IOException {
        String size = RawHttp.line(in);
        if (size == null) {
            throw new IOException("response cut between chunks");
        }
        return Integer.parseInt(size.trim(), 16);
    }

    /** Requests answered so far. */
    public int answered() {
        return answered.get();
    }

    /** Responses that said {@code Connection: close} (the client opened a new connection after each). */
    public int toldToClose() {
        return told.get();
    }

    /** Waits (bounded) until {@code n} requests were answered. */
    public void awaitAnswered(int n) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), n + " answered", () -> {
            if (answered.get() >= n) {
                return true;
            }
            if (ended.getCount() == 0) {
                throw new AssertionError("the clients ended after only " + answered.get() + " answered; failures: "
                        + failures);
            }
            return false;
        });
    }

    /** Waits (bounded) for every client to end by itself (refused, with {@link #untilRefused}). */
    public boolean awaitEnded(long seconds) throws InterruptedException {
        return ended.await(seconds, TimeUnit.SECONDS);
    }

    /** Stops the clients and returns the failures they saw (the first 20, then how many more). */
    public List<String> stop() throws InterruptedException {
        running.set(false);
        if (!ended.await(30, TimeUnit.SECONDS)) {
            failures.add("clients did not stop");
        }
        return firstOf(failures);
    }

    /** The first 20 failures, then how many more: what a load test reports. */
    public static List<String> firstOf(java.util.Collection<String> failures) {
        List<String> all = new ArrayList<>(failures);
        if (all.size() <= 20) {
            return all;
        }
        List<String> first = new ArrayList<>(all.subList(0, 20));
        first.add("... and " + (all.size() - 20) + " more");
        return first;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
