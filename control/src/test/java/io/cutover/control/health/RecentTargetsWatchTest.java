package io.cutover.control.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.HealthSettings;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestProxy;
import io.cutover.proxy.Ticker;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecentTargetsWatchTest {
    @Test
    void theThreeTargetsLeftLastAreWatchedAndWarmTheOldestPushedOutIsNot() throws Exception {
        EventLoopGroup group = TestProxy.transport().newGroup(1);
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b");
             TestBackend c = TestBackend.start("c"); TestBackend d = TestBackend.start("d")) {
            EventLoop loop = group.next();
            RecentTargetsWatch watch = new RecentTargetsWatch(health(group), loop, Duration.ofSeconds(5), Ticker.SYSTEM);
            for (TestBackend t : List.of(a, b, c)) {
                loop.submit(() -> watch.watch(t.target(), t.target().resolve())).get(5, TimeUnit.SECONDS);
            }
            for (TestBackend t : List.of(a, b, c)) {
                awaitWarm(loop, watch, t, true);
            }
            assertEquals(List.of(c.target(), b.target(), a.target()), on(loop, watch::watched), "the most recent first");

            loop.submit(() -> watch.watch(d.target(), d.target().resolve())).get(5, TimeUnit.SECONDS);

            assertEquals(List.of(d.target(), c.target(), b.target()), on(loop, watch::watched));
            assertFalse(on(loop, () -> watch.warm(a.target())), "pushed out: a switch to it probes it again");
            awaitWarm(loop, watch, d, true);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aTargetLeftAgainMovesToTheFrontAndOneTrafficGoesToAgainIsNoLongerWatched() throws Exception {
        EventLoopGroup group = TestProxy.transport().newGroup(1);
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            EventLoop loop = group.next();
            RecentTargetsWatch watch = new RecentTargetsWatch(health(group), loop, Duration.ofSeconds(5), Ticker.SYSTEM);
            loop.submit(() -> watch.watch(a.target(), a.target().resolve())).get(5, TimeUnit.SECONDS);
            loop.submit(() -> watch.watch(b.target(), b.target().resolve())).get(5, TimeUnit.SECONDS);
            loop.submit(() -> watch.watch(a.target(), a.target().resolve())).get(5, TimeUnit.SECONDS);
            assertEquals(List.of(a.target(), b.target()), on(loop, watch::watched), "once each, the most recent first");
            awaitWarm(loop, watch, b, true);

            loop.submit(() -> watch.unwatch(b.target())).get(5, TimeUnit.SECONDS);

            assertEquals(List.of(a.target()), on(loop, watch::watched));
            assertFalse(on(loop, () -> watch.warm(b.target())), "traffic goes there: not watched");
            awaitWarm(loop, watch, a, true);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aTargetIsWarmOnlyAtTheAddressItWasProbedAtAndAStoppedOneIsColdButStillWatched() throws Exception {
        EventLoopGroup group = TestProxy.transport().newGroup(1);
        try (TestBackend a = TestBackend.start("a"); TestBackend elsewhere = TestBackend.start("elsewhere")) {
            EventLoop loop = group.next();
            RecentTargetsWatch watch = new RecentTargetsWatch(health(group), loop, Duration.ofSeconds(1), Ticker.SYSTEM);
            loop.submit(() -> watch.watch(a.target(), a.target().resolve())).get(5, TimeUnit.SECONDS);
            awaitWarm(loop, watch, a, true);

            assertTrue(on(loop, () -> watch.warm(a.target(), a.target().resolve())));
            assertFalse(on(loop, () -> watch.warm(a.target(), elsewhere.target().resolve())),
                    "its name resolves elsewhere now: never probed there");

            loop.submit(() -> watch.forget(a.target())).get(5, TimeUnit.SECONDS);

            assertFalse(on(loop, () -> watch.warm(a.target())), "stopped: cold at once");
            assertEquals(List.of(a.target()), on(loop, watch::watched), "still watched: it may come back");
            // it is still up here: its next probe finds it so
            awaitWarm(loop, watch, a, true);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aWatchedTargetThatStopsAnsweringTurnsColdByItsProbes() throws Exception {
        EventLoopGroup group = TestProxy.transport().newGroup(1);
        try (TestBackend a = TestBackend.start("a")) {
            EventLoop loop = group.next();
            // probes every 50 ms: warm means a pass within the last 100 ms
            RecentTargetsWatch watch = new RecentTargetsWatch(health(group), loop, Duration.ofMillis(50), Ticker.SYSTEM);
            loop.submit(() -> watch.watch(a.target(), a.target().resolve())).get(5, TimeUnit.SECONDS);
            awaitWarm(loop, watch, a, true);

            a.close();

            awaitWarm(loop, watch, a, false);
            assertEquals(List.of(a.target()), on(loop, watch::watched), "still watched: it may come back");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static HealthCheck health(EventLoopGroup group) {
        return HealthCheck.on(group, TestProxy.transport(),
                new HealthSettings("/health", Duration.ofMillis(50), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                Ticker.SYSTEM);
    }

    @Test
    void aStoppedPreviousTargetIsColdAtOnceAndWarmsAgainOnlyByAPassingProbe() throws Exception {
        EventLoopGroup group = TestProxy.transport().newGroup(1);
        try (TestBackend previous = TestBackend.start("previous")) {
            EventLoop loop = group.next();
            HealthCheck health = HealthCheck.on(group, TestProxy.transport(),
                    new HealthSettings("/health", Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    Ticker.SYSTEM);
            RecentTargetsWatch watch = new RecentTargetsWatch(health, loop, Duration.ofSeconds(5), Ticker.SYSTEM);
            loop.submit(() -> watch.watch(previous.target(), previous.target().resolve())).get(5, TimeUnit.SECONDS);
            awaitWarm(loop, watch, previous, true);
            loop.submit(() -> watch.forget(previous.target())).get(5, TimeUnit.SECONDS);
            // the next probe is 5 s away: only forget() can have made it cold now
            assertFalse(on(loop, () -> watch.warm(previous.target())), "cold as soon as it was stopped");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static void awaitWarm(EventLoop loop, RecentTargetsWatch watch, TestBackend t, boolean warm)
            throws Exception {
        Eventually.until(Duration.ofSeconds(10), "the target to become " + (warm ? "warm" : "cold"),
                () -> on(loop, () -> watch.warm(t.target())) == warm);
    }

    private static <T> T on(EventLoop loop, Callable<T> work) throws Exception {
        return loop.submit(work).get(5, TimeUnit.SECONDS);
    }
}
