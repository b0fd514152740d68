package io.cutover.control.health;

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
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PreviousTargetWatchTest {
    @Test
    void aStoppedPreviousTargetIsColdAtOnceAndWarmsAgainOnlyByAPassingProbe() throws Exception {
        EventLoopGroup group = TestProxy.transport().newGroup(1);
        try (TestBackend previous = TestBackend.start("previous")) {
            EventLoop loop = group.next();
            HealthCheck health = HealthCheck.on(group, TestProxy.transport(),
                    new HealthSettings("/health", Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                    Ticker.SYSTEM);
            PreviousTargetWatch watch = new PreviousTargetWatch(health, loop, Duration.ofSeconds(5), Ticker.SYSTEM);
            loop.submit(() -> watch.watch(previous.target(), previous.target().resolve())).get(5, TimeUnit.SECONDS);
            awaitWarm(loop, watch, previous, true);
            loop.submit(() -> watch.forget(previous.target())).get(5, TimeUnit.SECONDS);
            // the next probe is 5 s away: only forget() can have made it cold now
            assertFalse(on(loop, () -> watch.warm(previous.target())), "cold as soon as it was stopped");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static void awaitWarm(EventLoop loop, PreviousTargetWatch watch, TestBackend t, boolean warm)
            throws Exception {
        Eventually.until(Duration.ofSeconds(10), "the target to become " + (warm ? "warm" : "cold"),
                () -> on(loop, () -> watch.warm(t.target())) == warm);
    }

    private static <T> T on(EventLoop loop, Callable<T> work) throws Exception {
        return loop.submit(work).get(5, TimeUnit.SECONDS);
    }
}
