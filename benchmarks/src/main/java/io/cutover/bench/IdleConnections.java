package io.cutover.bench;

import java.io.IOException;
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
        ByteBuffer in = ByteBuffer.allocate(4096);
        List<SocketChannel> open = new ArrayList<>(count);
        int answered = 0;
        try {
            for (int i = 0; i < count; i++) {
                SocketChannel ch = SocketChannel.open(address);
                open.add(ch);
                ch.write(ByteBuffer.wrap(request));
                in.clear();
                if (ch.read(in) > 0 && in.get(9) == '2') {
                    answered++;
                }
            }
            Thread.sleep(holdMs);
            int stillOpen = 0;
            for (SocketChannel ch : open) {
                if (ch.isConnected()) {
                    stillOpen++;
                }
            }
            long held = rssKb(pids);
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
