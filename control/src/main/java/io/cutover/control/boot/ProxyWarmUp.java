package io.cutover.control.boot;

import io.cutover.control.config.AppConfig;
import io.cutover.proxy.AppRule;
import io.cutover.proxy.ProxyServer;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms the request path of a cutover taking over before it accepts: a hundred requests shared
 * among the apps (each to its health path, at least one each), through a listener aside that serves as the real one does, to the
 * app's active version. Cold, the new process answered its first requests up to 90 ms late
 * (the JIT had not compiled the path yet), and every client moves to it at once. A hundred, not
 * more: the warm-up runs while the old process serves, on the same cores, and 400 requests cost
 * more than they saved (benchmarks/upgrade.sh, 2 rounds of 5 upgrades on each transport, one
 * run: until the new process serves 3.3-4.5 s against 3.9-4.7 s, the longest gap between two
 * answers 55-62 ms against 50-157 ms). Blocking: on the starting thread, never an event loop. A
 * warm-up never fails anything: it stops at the first problem, or at its time limit.
 */
public final class ProxyWarmUp {
    private static final Logger log = LoggerFactory.getLogger(ProxyWarmUp.class);
    static final int REQUESTS = 100;
    private static final Duration LIMIT = Duration.ofSeconds(1);

    private ProxyWarmUp() {
    }

    public static void run(ProxyServer proxy, List<AppConfig> apps) throws InterruptedException {
        run(proxy, apps, LIMIT);
    }

    /** As {@link #run(ProxyServer, List)}, stopping at {@code limit} (a test's, on a busy machine). */
    static void run(ProxyServer proxy, List<AppConfig> apps, Duration limit) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        int timeoutMillis = (int) Math.max(1, Math.min(limit.toMillis(), Integer.MAX_VALUE));
        Channel aside = proxy.listenAside();
        int done = 0;
        try {
            InetSocketAddress address = (InetSocketAddress) aside.localAddress();
            for (AppConfig app : apps) {
                done += requests(address, request(app), Math.max(1, REQUESTS / apps.size()), deadline, timeoutMillis);
            }
        } finally {
            aside.close().await(1, TimeUnit.SECONDS);
        }
        log.info("warmed the request path up: {} requests in {} ms", done,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /** GET of the app's health path, on a host and under a prefix that route it to the app. */
    static String request(AppConfig app) {
        AppRule rule = app.rule();
        String host = rule.hosts().isEmpty() ? "warm-up.invalid" : rule.hosts().get(0).replace("*", "warm-up");
        String prefix = rule.pathPrefix().equals("/") ? "" : rule.pathPrefix().replaceAll("/$", "");
        String path = rule.stripPrefix() ? prefix + app.health().path() : app.health().path();
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: cutover-warm-up\r\n\r\n";
    }

    /**
     * Sends the request n times on one keep-alive connection, the connect within {@code
     * timeoutMillis} (the limit) and each answer by the deadline; returns how many were answered.
     */
    private static int requests(InetSocketAddress address, String request, int n, long deadline, int timeoutMillis) {
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        int answered = 0;
        try (Socket s = new Socket()) {
            s.connect(address, timeoutMillis);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            // buffered: a socket's own stream reads a byte per system call, and the head is read a
            // byte at a time (the warm-up's own client ran cold and slow beside the path it warms)
            InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 16384);
            byte[] buf = new byte[16384];
            while (answered < n && System.nanoTime() < deadline) {
                // never past the deadline: a stalled answer ends the warm-up there
                s.setSoTimeout((int) Math.max(1, Math.min(timeoutMillis,
                        TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
                out.write(bytes);
                if (!readResponse(in, buf)) {
                    break;
                }
                answered++;
            }
        } catch (IOException | RuntimeException e) {     // a length it cannot read, too: it never fails anything
            log.debug("warm-up stopped after {} requests: {}", answered, e.toString());
        }
        return answered;
    }

    /**
     * Reads one response with a Content-Length body (what a health path answers); false when the
     * connection is to close or the response has no length (the warm-up stops there).
     */
    private static boolean readResponse(InputStream in, byte[] buf) throws IOException {
        StringBuilder head = new StringBuilder();
        int last4 = 0;      // the last four bytes read, to find the blank line without a copy per byte
        while (last4 != 0x0d0a0d0a) {
            int c = in.read();
            if (c < 0 || head.length() > 16384) {
                return false;
            }
            head.append((char) c);
            last4 = last4 << 8 | c;
        }
        String h = head.toString().toLowerCase(java.util.Locale.ROOT);
        int at = h.indexOf("\r\ncontent-length:");
        if (at < 0 || h.contains("\r\nconnection: close")) {
            return false;
        }
        long length = Long.parseLong(h.substring(at + 17, h.indexOf("\r\n", at + 2)).trim());
        while (length > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, length));
            if (r < 0) {
                return false;
            }
            length -= r;
        }
        return true;
    }
}
