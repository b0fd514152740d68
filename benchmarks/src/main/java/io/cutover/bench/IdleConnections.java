package io.cutover.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N keep-alive connections to a proxy, sends one request on each and reads its answer, then
 * holds them all idle and reports the resident memory of the given processes (VmRSS summed).
 * Stops opening at the first connection refused or unanswered within 5 s (a proxy at its
 * connection limit), and counts, after the hold, the connections the proxy has not closed:
 * {@code answered} and {@code open} below {@code connections} mean the figure is not for N.
 *
 * <pre>IdleConnections HOST:PORT COUNT HOLD_MS PID[,PID...]</pre>
 */
public final class IdleConnections {
    public static void main(String[] args) throws Exception {
        String[] hp = args[0].split(":");
        InetSocketAddress address = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        int count = Integer.parseInt(args[1]);
        long holdMs = Long.parseLong(args[2]);
        String[] pids = args[3].split(",");
        long before = rssKb(pids);
        byte[] request = "GET / HTTP/1.1\r\nHost: idle\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] in = new byte[4096];
        List<SocketChannel> open = new ArrayList<>(count);
        int answered = 0;
        try {
            for (int i = 0; i < count; i++) {
                SocketChannel ch;
                try {
                    ch = SocketChannel.open(address);
                } catch (IOException e) {
                    System.err.println("connection " + i + " failed: " + e);
                    break;
                }
                open.add(ch);
                ch.socket().setSoTimeout(5_000);
                try {
                    ch.write(ByteBuffer.wrap(request));
                    InputStream stream = ch.socket().getInputStream();
                    int n = stream.read(in);
                    if (n > 9 && in[9] == '2') {
                        answered++;
                    }
                } catch (IOException e) {
                    System.err.println("connection " + i + " got no answer: " + e);
                    break;
                }
            }
            Thread.sleep(holdMs);
            long held = rssKb(pids);
            int stillOpen = 0;
            ByteBuffer probe = ByteBuffer.allocate(4096);
            for (SocketChannel ch : open) {
                ch.configureBlocking(false);
                probe.clear();
                try {
                    if (ch.read(probe) >= 0) {
                        stillOpen++;        // nothing to read, or more of an answer: not closed by the proxy
                    }
                } catch (IOException e) {
                    // reset: closed
                }
            }
            System.out.printf("connections=%d answered=%d open=%d rss_before_mb=%.1f rss_idle_mb=%.1f%n",
                    count, answered, stillOpen, before / 1024.0, held / 1024.0);
        } finally {
            for (SocketChannel ch : open) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    private static long rssKb(String[] pids) throws IOException {
        long sum = 0;
        for (String pid : pids) {
            for (String line : Files.readAllLines(Path.of("/proc", pid.trim(), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        }
        return sum;
    }
}
