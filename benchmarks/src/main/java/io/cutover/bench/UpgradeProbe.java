package io.cutover.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Upgrading the proxy itself under load. Clients loop GET / through the proxy, half on
 * keep-alive connections (a new one only after a response saying Connection: close, as any
 * client does), half on a new connection per request, while a shell command upgrades or
 * reloads the proxy, again and again. Counts the failed requests by kind and the longest gap
 * between two answers, anywhere among the clients.
 *
 * <pre>
 * UpgradeProbe NAME PROXY_HOST:PORT UPGRADES PAUSE_MS CMD
 * </pre>
 * CMD runs with bash once per upgrade and returns when the upgrade is done (the old process
 * gone or going). Bounded: UPGRADES x (PAUSE_MS + at most 60 s per command).
 *
 * <p>Prints one line: {@code name=... requests=N failed=F refused=R cut=C timeouts=T
 * longest_gap_ms=G upgrade_ms=M} (the median command time).
 */
public final class UpgradeProbe {
    private static final int KEEP_ALIVE_CLIENTS = 4;
    private static final int PER_REQUEST_CLIENTS = 4;

    public static void main(String[] args) throws Exception {
        String name = args[0];
        String[] hp = args[1].split(":");
        InetSocketAddress proxy = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        int upgrades = Integer.parseInt(args[2]);
        long pauseMs = Long.parseLong(args[3]);
        String command = args[4];

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong ok = new AtomicLong();
        AtomicLong lastAnswer = new AtomicLong(System.nanoTime());
        AtomicLong longestGap = new AtomicLong();
        AtomicLong upgradeStarted = new AtomicLong(System.nanoTime());
        AtomicLong gapEndedAt = new AtomicLong();
        ConcurrentHashMap<String, AtomicLong> failures = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < KEEP_ALIVE_CLIENTS + PER_REQUEST_CLIENTS; c++) {
            boolean perRequest = c >= KEEP_ALIVE_CLIENTS;
            Thread t = new Thread(() -> {
                KeepAliveClient client = null;
                while (running.get()) {
                    try {
                        if (client == null) {
                            client = new KeepAliveClient(proxy);
                        }
                        client.getBody();
                        ok.incrementAndGet();
                        long now = System.nanoTime();
                        long before = lastAnswer.getAndAccumulate(now, Math::max);
                        if (now - before > longestGap.get()) {
                            longestGap.accumulateAndGet(now - before, Math::max);
                            gapEndedAt.set(now - upgradeStarted.get());
                        }
                        if (perRequest || client.closeAfter()) {
                            client.close();
                            client = null;
                        }
                    } catch (IOException e) {
                        failures.computeIfAbsent(kind(e), k -> new AtomicLong()).incrementAndGet();
                        if (client != null) {
                            try {
                                client.close();
                            } catch (IOException ignored) {
                                // failed already
                            }
                            client = null;
                        }
                    }
                }
                if (client != null) {
                    try {
                        client.close();
                    } catch (IOException ignored) {
                        // done
                    }
                }
            }, "client-" + c);
            t.setDaemon(true);
            t.start();
            clients.add(t);
        }

        Thread.sleep(pauseMs);
        longestGap.set(0);      // from the first upgrade on
        List<Long> took = new ArrayList<>();
        for (int i = 0; i < upgrades; i++) {
            long start = System.nanoTime();
            upgradeStarted.set(start);
            Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                failures.computeIfAbsent("upgrade_timed_out", k -> new AtomicLong()).incrementAndGet();
            } else if (p.exitValue() != 0) {
                failures.computeIfAbsent("upgrade_failed", k -> new AtomicLong()).incrementAndGet();
            }
            took.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            Thread.sleep(pauseMs);
        }
        running.set(false);
        for (Thread t : clients) {
            t.join(15_000);
        }
        Collections.sort(took);
        long failed = failures.entrySet().stream().filter(e -> !e.getKey().startsWith("upgrade"))
                .mapToLong(e -> e.getValue().get()).sum();
        System.out.printf("name=%s requests=%d failed=%d refused=%d cut=%d timeouts=%d status=%d longest_gap_ms=%d "
                        + "gap_ended_ms_into_its_upgrade=%d upgrade_ms=%d upgrades_failed=%d%n",
                name.replace(' ', '_'), ok.get() + failed, failed, count(failures, "refused"), count(failures, "cut"),
                count(failures, "timeout"), count(failures, "status"), TimeUnit.NANOSECONDS.toMillis(longestGap.get()),
                TimeUnit.NANOSECONDS.toMillis(gapEndedAt.get()),
                took.isEmpty() ? 0 : took.get(took.size() / 2),
                count(failures, "upgrade_failed") + count(failures, "upgrade_timed_out"));
    }

    private static long count(ConcurrentHashMap<String, AtomicLong> failures, String kind) {
        AtomicLong n = failures.get(kind);
        return n == null ? 0 : n.get();
    }

    /** refused (nothing listens), timeout, status (an answer other than 200), or cut (reset or closed before the answer). */
    private static String kind(IOException e) {
        if (e instanceof ConnectException) {
            return "refused";
        }
        if (e instanceof SocketTimeoutException) {
            return "timeout";
        }
        if (e.getMessage() != null && e.getMessage().startsWith("status ")) {
            return "status";
        }
        return "cut";
    }
}
