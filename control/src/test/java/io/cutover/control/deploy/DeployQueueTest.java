package io.cutover.control.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.deploy.runtime.Release;
import io.cutover.proxy.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeployQueueTest {
    private static int ids;

    private static Deployment deployment() {
        return new Deployment("d" + ids++, Deployment.Kind.DEPLOY, new Release("app:1", List.of(), null), Instant.now(),
                Ticker.SYSTEM);
    }

    private static DeployQueue queue(int remembered) {
        return new DeployQueue(Executors.newSingleThreadScheduledExecutor(), Executors.newSingleThreadScheduledExecutor(),
                remembered);
    }

    @Test
    void atMostSixteenWaitAndTheSeventeenthIsRefusedNamingWhy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        try (DeployQueue line = queue(DeployQueue.REMEMBERED)) {
            line.submit(deployment(), Duration.ofMinutes(1), d -> {
                holding.countDown();
                release.await(30, TimeUnit.SECONDS);
            }, () -> { });
            assertTrue(holding.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < DeployQueue.MAX_WAITING; i++) {
                line.submit(deployment(), Duration.ofMinutes(1), d -> { }, () -> { });
            }
            DeployQueue.BusyException refused = assertThrows(DeployQueue.BusyException.class,
                    () -> line.submit(deployment(), Duration.ofMinutes(1), d -> { }, () -> { }));
            assertTrue(refused.getMessage().contains("16 deploys are waiting"), refused.getMessage());
            release.countDown();
        }
    }

    @Test
    void theHistoryForgetsOnlyFinishedDeploymentsNeverOneStillRunningOrWaiting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch allDone = new CountDownLatch(4);
        try (DeployQueue line = queue(2)) {
            Deployment holder = deployment();
            line.submit(holder, Duration.ofMinutes(1), d -> {
                holding.countDown();
                release.await(30, TimeUnit.SECONDS);
            }, allDone::countDown);
            assertTrue(holding.await(10, TimeUnit.SECONDS));
            List<Deployment> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {     // more than the history keeps, all waiting
                Deployment w = deployment();
                waiters.add(w);
                line.submit(w, Duration.ofMinutes(1), d -> { }, allDone::countDown);
            }
            assertTrue(line.find(holder.id()).isPresent(), "the running one is remembered");
            for (Deployment w : waiters) {
                assertTrue(line.find(w.id()).isPresent(), "a waiting one is remembered: " + w.id());
            }
            release.countDown();
            assertTrue(allDone.await(30, TimeUnit.SECONDS));
            Deployment next = deployment();
            line.submit(next, Duration.ofMinutes(1), d -> { }, () -> { });
            assertTrue(line.find(next.id()).isPresent());
            assertFalse(line.find(holder.id()).isPresent(), "once finished, the oldest is forgotten");
        }
    }
}
