package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Connections come and go by the thousand; the proxy's open file descriptors come back down. */
class DescriptorChurnTest {

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static void awaitDescriptorsBackTo(long baseline) throws Exception {
        // a few for lazily opened JDK and Netty files
        Eventually.value(Duration.ofSeconds(30), "open descriptors back to the baseline " + baseline,
                DescriptorChurnTest::openDescriptors, now -> now <= baseline + 10);
    }

    @org.junit.jupiter.api.Timeout(180)     // thousands of connections, with paranoid leak detection
    @Test
    void tenThousandConnectionsInChurnAndAThousandSlowClientsLeaveNoDescriptorBehind() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestProxy proxy = TestProxy.start(ProxySettings.defaults()
                     .withRequestLimits(Duration.ofMillis(500), 0))) {
            proxy.switchTo(app.target());
            try (RawHttp warm = new RawHttp(proxy.address())) {
                assertEquals("app", warm.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
            long baseline = openDescriptors();

            // churn: half ask for something, half connect and go away at once
            for (int i = 0; i < 10_000; i++) {
                try (Socket s = RawHttp.socket(proxy.address())) {
                    if (i % 2 == 0) {
                        OutputStream out = s.getOutputStream();
                        out.write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        s.getInputStream().readAllBytes();
                    }
                }
            }
            awaitDescriptorsBackTo(baseline);

            // slow clients: a head begun and never finished, all at once
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 1_000; i++) {
                    Socket s = RawHttp.socket(proxy.address());
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                    slow.add(s);
                }
                int timedOut = 0;
                for (Socket s : slow) {
                    s.setSoTimeout(10_000);
                    String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                    if (answer.startsWith("HTTP/1.1 408")) {
                        timedOut++;
                    }
                }
                assertEquals(1_000, timedOut, "every slow client got 408 and was closed");
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            awaitDescriptorsBackTo(baseline);

            try (RawHttp after = new RawHttp(proxy.address())) {
                assertEquals("app", after.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
        }
    }
}
