package io.cutover.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports for things a test starts later on a port it must name in advance (an app's blue and
 * green ports). They come from below the kernel's ephemeral range: a port picked with
 * {@code new ServerSocket(0)} comes from that range, and between the pick and the app's bind any
 * outgoing connection (a health probe, the proxy's own) may take it as its local port. A port is
 * handed out once per test JVM, so two picks in a row (blue and green) never collide.
 */
public final class TestPorts {
    private static final int SPAN = 10_000;
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private TestPorts() {
    }

    public static int free() throws IOException {
        int[] ephemeral = ephemeralRange();
        int low;
        int high;
        if (ephemeral[0] >= 2_048) {                        // below the range (Linux's default: 32768-60999)
            low = Math.max(1_024, ephemeral[0] - SPAN);
            high = ephemeral[0];
        } else if (ephemeral[1] <= 65_535 - 1_000) {        // above it
            low = ephemeral[1] + 1;
            high = Math.min(65_536, low + SPAN);
        } else {                                            // it spans everything: take the risk
            low = 1_024;
            high = 65_536;
        }
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(low, high);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port between " + low + " and " + high);
    }

    private static int[] ephemeralRange() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"),
                    StandardCharsets.US_ASCII).trim().split("\\s+");
            return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32_768, 60_999};  // Linux's default
        }
    }
}
