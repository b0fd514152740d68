package io.cutover.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Switch under load. Keep-alive clients loop GET / through a proxy while the backend is switched
 * round between two or more that answer different bodies. Reports failed requests and, per
 * switch, the time from starting the switch to the first response from the new backend; writes
 * every request (time, latency, ok) to a CSV for the chart.
 *
 * <pre>
 * SwitchProbe NAME PROXY_HOST:PORT SWITCHES PAUSE_MS CSV BODIES
 *     (--admin HOST:PORT TARGET... | --cmd CMD... | --haproxy SOCKET CMD...)
 * </pre>
 * BODIES is a comma-separated list ({@code A,C,B}), one body per backend; then one TARGET (or
 * CMD) per body, in the same order: where, or how, traffic goes to the backend answering it.
 * Traffic starts on the first; switch i goes to backend (i + 1) mod n, so the first switches go
 * to backends the proxy has never routed to (with three backends, the first two), and the series
 * measured includes them. A legacy form with two bodies as two arguments ({@code A B}) still works.
 * With --admin the switch is POST /v1/switch (cutover); with --cmd a shell command (nginx's
 * symlink swap and reload); with --haproxy a line of commands to HAProxy's runtime API on its
 * stats socket. Bounded: SWITCHES x PAUSE_MS, plus at most 10 s per switch.
 *
 * <p>Prints the time from the start of each switch to the first response of the new backend
 * (first, that is to a backend never routed to before, median, p90, max) and the slowest request
 * that ended after the first switch began.
 */
public final class SwitchProbe {
    private static final int CLIENTS = 4;

    private record Sample(long atNanos, long latencyNanos, boolean ok) {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        String[] hp = args[1].split(":");
        InetSocketAddress proxy = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        int switches = Integer.parseInt(args[2]);
        long pauseMs = Long.parseLong(args[3]);
        Path csv = Path.of(args[4]);
        int at = 5;
        List<String> bodyList = new ArrayList<>(List.of(args[at++].split(",")));
        while (!args[at].startsWith("--")) {
            bodyList.add(args[at++]);     // the legacy form: BODY_A BODY_B as two arguments
        }
        String[] bodies = bodyList.toArray(String[]::new);
        String mode = args[at++];
        boolean admin = mode.equals("--admin");
        boolean haproxy = mode.equals("--haproxy");
        String where = admin || haproxy ? args[at++] : null;
        if (args.length - at != bodies.length) {
            throw new IllegalArgumentException("one target or command per body: " + bodies.length + " bodies, "
                    + (args.length - at) + " targets");
        }
        String[] how = java.util.Arrays.copyOfRange(args, at, args.length);

        long origin = System.nanoTime();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong failed = new AtomicLong();
        AtomicLong firstNew = new AtomicLong();
        AtomicReference<String> want = new AtomicReference<>(bodies[0]);
        AtomicLong switchStart = new AtomicLong(Long.MAX_VALUE);
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            Thread t = new Thread(() -> {
                KeepAliveClient client = null;
                while (running.get()) {
                    long start = System.nanoTime();
                    try {
                        if (client == null) {
                            client = new KeepAliveClient(proxy);
                        }
                        String body = client.getBody();
                        long end = System.nanoTime();
                        samples.add(new Sample(start - origin, end - start, true));
                        if (body.equals(want.get()) && start >= switchStart.get()) {
                            firstNew.compareAndSet(0, end);
                        }
                    } catch (IOException | RuntimeException e) {
                        if (failed.incrementAndGet() == 1) {
                            System.err.println(name + ": first failed request: " + e);
                        }
                        samples.add(new Sample(start - origin, System.nanoTime() - start, false));
                        closeQuietly(client);
                        client = null;
                    }
                }
                closeQuietly(client);
            });
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }

        Thread.sleep(1000);
        warmOwnClient(admin, haproxy, where);
        List<Long> toFirst = new ArrayList<>();
        List<Long> calls = new ArrayList<>();
        List<Long> marks = new ArrayList<>();
        for (int i = 0; i < switches; i++) {
            int to = (i + 1) % bodies.length;
            firstNew.set(0);
            want.set(bodies[to]);
            long t0 = System.nanoTime();
            switchStart.set(t0);
            if (admin) {
                adminSwitch(where, how[to]);
            } else if (haproxy) {
                runtimeApi(Path.of(where), how[to]);
            } else {
                Process p = new ProcessBuilder("sh", "-c", how[to]).inheritIO().start();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException("switch command failed: " + how[to]);
                }
            }
            calls.add(System.nanoTime() - t0);
            marks.add(t0 - origin);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (firstNew.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(0, 50_000);
            }
            if (firstNew.get() == 0) {
                throw new IllegalStateException("the new backend never answered after switch " + i);
            }
            toFirst.add(firstNew.get() - t0);
            Thread.sleep(pauseMs);
        }
        running.set(false);
        for (Thread t : clients) {
            t.join(10_000);
        }

        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
            out.println("# " + name);
            for (long m : marks) {
                out.println("switch," + m / 1_000);
            }
            for (Sample s : samples) {
                out.println((s.ok() ? "ok," : "failed,") + s.atNanos() / 1_000 + "," + s.latencyNanos() / 1_000);
            }
        }
        long firstSwitch = toFirst.get(0);
        long firstMark = marks.get(0);
        long slowest = samples.stream().filter(x -> x.atNanos() + x.latencyNanos() >= firstMark).mapToLong(Sample::latencyNanos).max()
                .orElse(0);
        Collections.sort(toFirst);
        Collections.sort(calls);
        System.out.printf("%s switches=%d backends=%d first_to=%s requests=%d failed=%d switch_to_first_response_ms first=%.3f median=%.3f "
                        + "p90=%.3f max=%.3f slowest_request_ms=%.3f switch_call_median_ms=%.3f%n",
                name, switches, bodies.length, bodies[1], samples.size(), failed.get(), ms(firstSwitch), ms(toFirst.get(toFirst.size() / 2)),
                ms(toFirst.get(toFirst.size() * 9 / 10)), ms(toFirst.get(toFirst.size() - 1)), ms(slowest),
                ms(calls.get(calls.size() / 2)));
    }

    /**
     * Runs this probe's own client code once, unmeasured, with a call that changes nothing (a
     * status read, HAProxy's {@code show info}, {@code true} through the shell): without it, the
     * first switch measured also timed this JVM's first use of that code (class loading, the
     * first string concatenation's bootstrap: 30 to 150 ms here), for every proxy alike. The
     * proxy's own first switch, and its first route to a backend never seen, are still measured.
     */
    private static void warmOwnClient(boolean admin, boolean haproxy, String where) throws Exception {
        if (admin) {
            adminCall(where, "GET", "/v1/status", "");
        } else if (haproxy) {
            runtimeApi(Path.of(where), "show info", false);
        } else {
            Process p = new ProcessBuilder("sh", "-c", "true").inheritIO().start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /**
     * POST /v1/switch on a plain socket from this thread, as curl would send it: the figure is
     * cutover's, not an HTTP client library's thread hand-offs. The admin token comes from
     * $CUTOVER_ADMIN_TOKEN (compare.sh reads it from the state directory cutover made it in).
     */
    private static void adminSwitch(String admin, String target) throws IOException {
        adminCall(admin, "POST", "/v1/switch", "{\"target\": \"" + target + "\"}");
    }

    /** One admin API call with {@code body} (JSON, or empty); fails unless it is answered 200. */
    private static void adminCall(String admin, String method, String path, String body) throws IOException {
        String[] hp = admin.split(":");
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 10_000);
            s.setSoTimeout(30_000);
            s.setTcpNoDelay(true);
            String token = System.getenv("CUTOVER_ADMIN_TOKEN");
            String auth = token == null || token.isBlank() ? "" : "Authorization: Bearer " + token.trim() + "\r\n";
            s.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: " + admin + "\r\n" + auth
                    + (body.isEmpty() ? "" : "Content-Type: application/json\r\n")
                    + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!answer.startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException(method + " " + path + " refused: " + answer);
            }
        }
    }

    private static void runtimeApi(Path socket, String commands) throws IOException {
        runtimeApi(socket, commands, true);
    }

    /**
     * Sends one line of commands to HAProxy's runtime API; with {@code silent}, checks it answered
     * nothing but blank lines.
     */
    private static void runtimeApi(Path socket, String commands, boolean silent) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap((commands + "\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer answer = ByteBuffer.allocate(4096);
            while (ch.read(answer) >= 0) {      // until HAProxy closes the connection
                if (!answer.hasRemaining()) {
                    if (silent) {
                        break;      // more than it should have said: reported below
                    }
                    answer.clear();
                }
            }
            String text = new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII).trim();
            if (silent && !text.isEmpty()) {
                throw new IllegalStateException("HAProxy answered '" + text + "' to " + commands);
            }
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static void closeQuietly(KeepAliveClient c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing a dead connection
            }
        }
    }
}
