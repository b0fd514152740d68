package io.cutover.bench;

import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One GET round trip over loopback on a keep-alive connection: straight to a minimal Netty
 * backend ({@code direct}), and through cutover to the same backend ({@code cutover}). The
 * difference is what the proxy hop costs. With {@code -prof gc}, {@code gc.alloc.rate.norm} is
 * the allocation per proxied request (all threads, client included).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class RoundTripBenchmark {
    @Param({"direct", "cutover"})
    public String path;

    private MiniBackend backend;
    private ProxyServer proxy;
    private InetSocketAddress address;

    @Setup(Level.Trial)
    public void start() throws InterruptedException {
        Transport transport = Transport.select("auto");
        backend = MiniBackend.start(transport);
        if (path.equals("cutover")) {
            proxy = ProxyServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    ProxySettings.defaults(), transport, 1);
            proxy.router().flip(proxy.newBackend(backend.target()));
            address = proxy.localAddress();
        } else {
            address = new InetSocketAddress("127.0.0.1", backend.target().port());
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    /** One client connection per benchmark thread. */
    @State(Scope.Thread)
    public static class Connection {
        KeepAliveClient client;

        @Setup(Level.Trial)
        public void open(RoundTripBenchmark b) throws IOException {
            client = new KeepAliveClient(b.address);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            client.close();
        }
    }

    @Benchmark
    public int roundTrip(Connection c) throws IOException {
        return c.client.get();
    }
}
