package io.cutover.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
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
        final Backend blue;
        final Backend green;
        boolean toGreen;

        public Routes() {
            DefaultChannelGroup all = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
            blue = backend(8081, "blue", all);
            green = backend(8082, "green", all);
            router.flip(blue);
        }

        private static Backend backend(int port, String version, DefaultChannelGroup all) {
            Target t = new Target("127.0.0.1", port);
            return new Backend(Router.DEFAULT_APP, t, t.resolve(), version,
                    TrafficObserver.NONE.forBackend(Router.DEFAULT_APP, t, version), new Bootstrap(), 1, all);
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
    }

    @State(Scope.Group)
    public static class Shared extends Routes {
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
