package io.cutover.control.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeployQueueTest {
    private static int ids;

    private static Deployment deployment() {
        return new Deployment("d" + ids++, Deployment.Kind.DEPLOY, new Release("app:1", List.of(), null), Instant.now(),
                Ticker.SYSTEM);
    }

    @Test
    void atMostSixteenWaitAndTheSeventeenthIsRefusedNamingWhy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        try (DeployQueue line = new DeployQueue()) {
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
    void theHistoryForgetsOnlyFinishedDeploymentsNeverOneStillWaiting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch allDone = new CountDownLatch(DeployQueue.REMEMBERED + 2);
        try (DeployQueue line = new DeployQueue()) {
            Deployment holder = deployment();
            line.submit(holder, Duration.ofMinutes(1), d -> {
                holding.countDown();
                release.await(30, TimeUnit.SECONDS);
            }, allDone::countDown);
            assertTrue(holding.await(10, TimeUnit.SECONDS));
            Deployment waiter = deployment();
            line.submit(waiter, Duration.ofMinutes(1), d -> { }, allDone::countDown);
            release.countDown();
            List<Deployment> later = new ArrayList<>();
            for (int i = 0; i < DeployQueue.REMEMBERED; i++) {
                Deployment d = deployment();
                later.add(d);
                line.submit(d, Duration.ofMinutes(1), x -> { }, allDone::countDown);
                if (i % 10 == 9) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!d.done()) {     // keep fewer than MAX_WAITING in line
                        assertTrue(System.nanoTime() < deadline);
                        Thread.sleep(1);
                    }
                }
            }
            assertTrue(allDone.await(30, TimeUnit.SECONDS));
            assertTrue(line.find(later.get(later.size() - 1).id()).isPresent());
            assertEquals(false, line.find(holder.id()).isPresent(), "the oldest finished one is forgotten");
        }
    }
}
