package io.cutover.control.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecentTargetsWatchTest {
    private EventLoopGroup group;
    private EventLoop loop;

    @BeforeEach
    void start() {
        group = TestProxy.transport().newGroup(1);
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void theThreeTargetsLeftLastAreWatchedAndWarmTheOldestPushedOutIsNot() throws Exception {
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b");
             TestBackend c = TestBackend.start("c"); TestBackend d = TestBackend.start("d")) {
            RecentTargetsWatch watch = watch(Duration.ofSeconds(5));
            for (TestBackend t : List.of(a, b, c)) {
                left(watch, t);
            }
            for (TestBackend t : List.of(a, b, c)) {
                awaitWarm(loop, watch, t, true);
            }
            assertEquals(List.of(c.target(), b.target(), a.target()), on(loop, watch::watched), "the most recent first");

            left(watch, d);

            assertEquals(List.of(d.target(), c.target(), b.target()), on(loop, watch::watched));
            assertFalse(on(loop, () -> watch.warm(a.target())), "pushed out: a switch to it probes it again");
            awaitWarm(loop, watch, d, true);
        }
    }

    @Test
    void aTargetLeftAgainMovesToTheFrontAndOneTrafficGoesToAgainIsNoLongerWatched() throws Exception {
        try (TestBackend a = TestBackend.start("a"); TestBackend b = TestBackend.start("b")) {
            RecentTargetsWatch watch = watch(Duration.ofSeconds(5));
            left(watch, a);
            left(watch, b);
            left(watch, a);
            assertEquals(List.of(a.target(), b.target()), on(loop, watch::watched), "once each, the most recent first");
            awaitWarm(loop, watch, b, true);

            loop.submit(() -> watch.unwatch(b.target())).get(5, TimeUnit.SECONDS);

            assertEquals(List.of(a.target()), on(loop, watch::watched));
            assertFalse(on(loop, () -> watch.warm(b.target())), "traffic goes there: not watched");
            awaitWarm(loop, watch, a, true);
        }
    }

    @Test
    void aTargetIsWarmOnlyAtTheAddressItWasProbedAtAndAStoppedOneIsColdButStillWatched() throws Exception {
        try (TestBackend a = TestBackend.start("a"); TestBackend elsewhere = TestBackend.start("elsewhere")) {
            RecentTargetsWatch watch = watch(Duration.ofSeconds(1));
            left(watch, a);
            awaitWarm(loop, watch, a, true);

            assertTrue(on(loop, () -> watch.warm(a.target(), a.target().resolve())));
            assertFalse(on(loop, () -> watch.warm(a.target(), elsewhere.target().resolve())),
                    "its name resolves elsewhere now: never probed there");

            loop.submit(() -> watch.forget(a.target())).get(5, TimeUnit.SECONDS);

            assertFalse(on(loop, () -> watch.warm(a.target())), "stopped: cold at once");
            assertEquals(List.of(a.target()), on(loop, watch::watched), "still watched: it may come back");
            // it is still up here: its next probe finds it so
            awaitWarm(loop, watch, a, true);
        }
    }

    @Test
    void aWatchedTargetThatStopsAnsweringTurnsColdByItsProbes() throws Exception {
        try (TestBackend a = TestBackend.start("a")) {
            // probes every 50 ms: warm means a pass within the last 100 ms
            RecentTargetsWatch watch = watch(Duration.ofMillis(50));
            left(watch, a);
            awaitWarm(loop, watch, a, true);

            a.close();

            awaitWarm(loop, watch, a, false);
            assertEquals(List.of(a.target()), on(loop, watch::watched), "still watched: it may come back");
        }
    }

    /** A watch on this test's loop that probes every {@code interval}, each probe given 2 s. */
    private RecentTargetsWatch watch(Duration interval) {
        HealthCheck health = HealthCheck.on(group, TestProxy.transport(),
                new HealthSettings("/health", Duration.ofMillis(50), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                Ticker.SYSTEM);
        return new RecentTargetsWatch(health, loop, interval, Ticker.SYSTEM);
    }

    /** Traffic left {@code t}: the watch is told so, on its loop. */
    private void left(RecentTargetsWatch watch, TestBackend t) throws Exception {
        loop.submit(() -> watch.watch(t.target(), t.target().resolve())).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aStoppedPreviousTargetIsColdAtOnceAndWarmsAgainOnlyByAPassingProbe() throws Exception {
        try (TestBackend previous = TestBackend.start("previous")) {
            RecentTargetsWatch watch = watch(Duration.ofSeconds(5));
            left(watch, previous);
            awaitWarm(loop, watch, previous, true);
            loop.submit(() -> watch.forget(previous.target())).get(5, TimeUnit.SECONDS);
            // the next probe is 5 s away: only forget() can have made it cold now
            assertFalse(on(loop, () -> watch.warm(previous.target())), "cold as soon as it was stopped");
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
