package io.cutover.control.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.deploy.runtime.Release;
import io.cutover.proxy.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
            }, e -> { });
            assertTrue(holding.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < DeployQueue.MAX_WAITING; i++) {
                line.submit(deployment(), Duration.ofMinutes(1), d -> { }, e -> { });
            }
            DeployQueue.BusyException refused = assertThrows(DeployQueue.BusyException.class,
                    () -> line.submit(deployment(), Duration.ofMinutes(1), d -> { }, e -> { }));
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
            }, e -> allDone.countDown());
            assertTrue(holding.await(10, TimeUnit.SECONDS));
            List<Deployment> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {     // more than the history keeps, all waiting
                Deployment w = deployment();
                waiters.add(w);
                line.submit(w, Duration.ofMinutes(1), d -> { }, e -> allDone.countDown());
            }
            assertTrue(line.find(holder.id()).isPresent(), "the running one is remembered");
            for (Deployment w : waiters) {
                assertTrue(line.find(w.id()).isPresent(), "a waiting one is remembered: " + w.id());
            }
            release.countDown();
            assertTrue(allDone.await(30, TimeUnit.SECONDS));
            Deployment next = deployment();
            line.submit(next, Duration.ofMinutes(1), d -> { }, e -> { });
            assertTrue(line.find(next.id()).isPresent());
            assertFalse(line.find(holder.id()).isPresent(), "once finished, the oldest is forgotten");
        }
    }

    @Test
    void aDeploymentShowsItsOutcomeOnlyOnceItsBookkeepingIsDoneSoAClientThatSeesItDoneFindsItCounted()
            throws Exception {
        try (DeployQueue line = queue(DeployQueue.REMEMBERED)) {
            for (boolean fails : new boolean[] {false, true}) {
                Deployment d = deployment();
                CompletableFuture<String> seenByBookkeeping = new CompletableFuture<>();
                line.submit(d, Duration.ofMinutes(1), x -> {
                    if (fails) {
                        throw new IllegalStateException("v2 never got healthy");
                    }
                }, error -> seenByBookkeeping.complete(d.state() + " " + error));
                assertEquals(Deployment.State.RUNNING + (fails ? " v2 never got healthy" : " null"),
                        seenByBookkeeping.get(10, TimeUnit.SECONDS), "the bookkeeping is told the outcome first");
                io.cutover.proxy.Eventually.until(Duration.ofSeconds(10), "the outcome to show", d::done);
                assertEquals(fails ? Deployment.State.FAILED : Deployment.State.SUCCEEDED, d.state());
                assertEquals(fails ? "v2 never got healthy" : null, d.error());
            }
        }
    }

    @Test
    void oneThatGivesUpWaitingIsToldAndFailedAtOnceWhileTheOneItWaitedForStillRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        try (DeployQueue line = queue(DeployQueue.REMEMBERED)) {
            Deployment holder = deployment();
            line.submit(holder, Duration.ofMinutes(1), d -> {
                holding.countDown();
                release.await(30, TimeUnit.SECONDS);
            }, e -> { });
            assertTrue(holding.await(10, TimeUnit.SECONDS));
            Deployment waiter = deployment();
            CompletableFuture<String> told = new CompletableFuture<>();
            List<Deployment> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
            line.submit(waiter, Duration.ofMillis(50), ran::add, told::complete);
            String error = told.get(10, TimeUnit.SECONDS);
            assertTrue(error.startsWith("gave up after 50 ms waiting for deploy " + holder.id()), error);
            io.cutover.proxy.Eventually.until(Duration.ofSeconds(10), "the waiter to show failed", waiter::done);
            assertEquals(Deployment.State.FAILED, waiter.state());
            assertEquals(Deployment.State.RUNNING, holder.state(), "told while the holder still runs");
            release.countDown();
            io.cutover.proxy.Eventually.until(Duration.ofSeconds(10), "the holder to finish", holder::done);
            CompletableFuture<String> after = new CompletableFuture<>();
            line.submit(deployment(), Duration.ofMinutes(1), d -> { }, after::complete);
            assertEquals(null, after.get(10, TimeUnit.SECONDS));
            assertEquals(List.of(), ran, "the one that gave up never runs");
        }
    }
}
