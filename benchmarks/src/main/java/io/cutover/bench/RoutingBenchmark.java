package io.cutover.bench;

import io.cutover.proxy.Backend;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Router;
import io.cutover.proxy.Target;
import io.cutover.proxy.TrafficObserver;
import io.cutover.proxy.Transport;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The router on its own: what routing one request costs (pick the active backend, count the
 * request in and out), alone and while another thread switches back and forth as fast as it can;
 * and what one switch (the flip) costs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RoutingBenchmark {

    /** A router with two backends to flip between (per benchmark, or shared within a group). */
    public static class Routes {
        final Router router = new Router();
        /** Makes the backends (never connected to): one event loop, not listening. */
        private final ProxyServer server = ProxyServer.create(ProxySettings.defaults(), Transport.NIO, 1,
                TrafficObserver.NONE);
        final Backend blue;
        final Backend green;
        boolean toGreen;

        public Routes() {
            blue = backend(8081, "blue");
            green = backend(8082, "green");
            router.flip(blue);
        }

        private Backend backend(int port, String version) {
            Target t = new Target("127.0.0.1", port);
            return server.newBackend(Router.DEFAULT_APP, t, t.resolve(), version);
        }

        void close() {
            server.close();
        }

        Backend routeOne() {
            Backend b = router.route();
            b.exit();
            return b;
        }

        Backend flip() {
            toGreen = !toGreen;
            return router.flip(toGreen ? green : blue);
        }
    }

    @State(Scope.Thread)
    public static class Alone extends Routes {
        @TearDown
        public void tearDown() {
            close();
        }
    }

    @State(Scope.Group)
    public static class Shared extends Routes {
        @TearDown
        public void tearDown() {
            close();
        }
    }

    @Benchmark
    public Backend routeAlone(Alone r) {
        return r.routeOne();
    }

    @Benchmark
    public Backend switchAlone(Alone r) {
        return r.flip();
    }

    @Benchmark
    @Group("underSwitching")
    @GroupThreads(1)
    public Backend route(Shared r) {
        return r.routeOne();
    }

    @Benchmark
    @Group("underSwitching")
    @GroupThreads(1)
    public Backend switchBackAndForth(Shared r) {
        return r.flip();
    }
}
