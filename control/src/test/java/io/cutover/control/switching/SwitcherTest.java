package io.cutover.control.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.health.HealthCheck;
import io.cutover.control.observe.Metrics;
import io.cutover.control.switching.RoutingLock.Holder;
import io.cutover.control.switching.SwitchService.Outcome;
import io.cutover.control.switching.SwitchService.SwitchInProgressException;
import io.cutover.proxy.Backend;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Router;
import io.cutover.proxy.Target;
import io.cutover.proxy.TestPorts;
import io.cutover.proxy.TestProxy;
import io.cutover.proxy.TrafficObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The switch core with its parts injected: a fake health gate the test answers, a fake watch of
 * the previous target, a fixed clock and a control loop of its own. The proxy is a real one
 * whose listener never opens (a backend needs its loops); the targets are ports nothing listens
 * on, so no request is ever served: what the tests read is the routing table.
 */
class SwitcherTest {
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    private ProxyServer proxy;
    private EventLoop control;
    private Metrics metrics;
    private final FakeHealth health = new FakeHealth();
    private final FakeWatch watch = new FakeWatch();
    private Switcher switcher;
    private RoutingLock lock;
    private ManualSwitch manual;
    private Target old;
    private Target next;

    @BeforeEach
    void start() throws Exception {
        proxy = ProxyServer.create(ProxySettings.defaults(), TestProxy.transport(), 1, TrafficObserver.NONE);
        control = new DefaultEventLoop();
        metrics = new Metrics();
        String app = Router.DEFAULT_APP;
        Drains drains = new Drains(app, proxy, control, metrics, Duration.ofSeconds(5), Duration.ofHours(1));
        SwitchMetrics meters = new SwitchMetrics(app, proxy.router().app(app), drains, new SimpleMeterRegistry());
        switcher = new Switcher(app, proxy, control, Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC), health,
                drains, new PreviousTarget(watch, control), meters, new ReplicaSets());
        lock = new RoutingLock();
        manual = new ManualSwitch(switcher, lock);
        old = Target.parse("127.0.0.1:" + TestPorts.free());
        next = Target.parse("127.0.0.1:" + TestPorts.free());
        switcher.startWith(old);
    }

    @AfterEach
    void stop() throws Exception {
        control.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        proxy.close();
        metrics.close();
    }

    @Test
    void aSwitchWhoseHealthGateFailsLeavesRoutingUnchanged() throws Exception {
        Backend before = switcher.active();
        health.answer(CompletableFuture.failedFuture(new HealthCheck.UnhealthyException(next + " answered 500")));

        ExecutionException e = assertThrows(ExecutionException.class, () -> manual.switchTo(next).get(10, TimeUnit.SECONDS));

        assertInstanceOf(HealthCheck.UnhealthyException.class, e.getCause());
        assertSame(before, switcher.active(), "the old backend still takes every request");
        assertFalse(before.draining());
        assertNull(switcher.lastSwitch(), "no switch happened");
        assertNull(switcher.previous().target());
        assertTrue(lock.tryReserve(Holder.SWITCH), "the failed switch gave routing back");
    }

    @Test
    void aSwitchThatPassesItsHealthGateRoutesNewRequestsToTheNewTargetAndDrainsTheOld() throws Exception {
        Backend before = switcher.active();
        health.answer(CompletableFuture.completedFuture(Duration.ofMillis(20)));

        Outcome outcome = manual.switchTo(next).get(10, TimeUnit.SECONDS);

        assertEquals(new Outcome(old, next, true, Duration.ofMillis(20)), outcome);
        assertEquals(List.of(next), health.asked);
        assertEquals(next, switcher.active().target(), "new requests go to the new target");
        assertTrue(switcher.routesTo(next));
        assertFalse(switcher.routesTo(old));
        assertTrue(before.draining(), "the old backend takes no new request");
        eventually(() -> switcher.lastSwitch().drain() != null, "the old backend's drain ended");
        SwitchRecord last = switcher.lastSwitch();
        assertEquals(old, last.from());
        assertEquals(next, last.to());
        assertEquals(NOW, last.at());
        assertEquals(old, last.drain().target());
        assertEquals(List.of(), switcher.drains().draining());
        assertEquals(old, switcher.previous().target(), "a rollback goes back to the old target");
        eventually(() -> old.equals(watch.watched), "the old target is watched");
        assertTrue(lock.tryReserve(Holder.SWITCH), "the switch gave routing back");
    }

    @Test
    void aSecondSwitchWhileOneIsInItsHealthGateIsRefused() throws Exception {
        CompletableFuture<Duration> gate = new CompletableFuture<>();
        health.answer(gate);
        CompletableFuture<Outcome> first = manual.switchTo(next);
        eventually(() -> !health.asked.isEmpty(), "the first switch is in its health gate");

        Target third = Target.parse("127.0.0.1:" + TestPorts.free());
        ExecutionException e = assertThrows(ExecutionException.class, () -> manual.switchTo(third).get(10, TimeUnit.SECONDS));

        assertInstanceOf(SwitchInProgressException.class, e.getCause());
        assertEquals("a switch to " + next + " is already running", e.getCause().getMessage());
        assertEquals(List.of(next), health.asked, "the refused switch asked no health check");
        control.execute(() -> gate.complete(Duration.ZERO));
        assertEquals(next, first.get(10, TimeUnit.SECONDS).active());
        assertEquals(next, switcher.active().target());
    }

    @Test
    void aSwitchWhileATakeoverHoldsRoutingIsRefusedWithAMessageNamingIt() {
        Backend before = switcher.active();
        assertTrue(lock.tryReserve(Holder.TAKEOVER));

        ExecutionException e = assertThrows(ExecutionException.class, () -> manual.switchTo(next).get(10, TimeUnit.SECONDS));

        assertInstanceOf(SwitchInProgressException.class, e.getCause());
        assertEquals("takeover is running and owns routing until it ends; switch after it (or roll back then)",
                e.getCause().getMessage());
        assertSame(before, switcher.active());
        assertEquals(List.of(), health.asked);
        assertTrue(lock.heldBy(Holder.TAKEOVER), "the refused switch did not give away what it did not hold");
    }

    @Test
    void aSwitchGoesThroughOnceTheTakeoverThatRefusedItReleasesRouting() throws Exception {
        assertTrue(lock.tryReserve(Holder.TAKEOVER));
        assertThrows(ExecutionException.class, () -> manual.switchTo(next).get(10, TimeUnit.SECONDS));

        lock.release();
        health.answer(CompletableFuture.completedFuture(Duration.ZERO));

        assertTrue(manual.switchTo(next).get(10, TimeUnit.SECONDS).changed());
        assertEquals(next, switcher.active().target());
        assertNull(lock.hold());
    }

    @Test
    void aDeployHoldingRoutingIsNamedInTheRefusal() {
        lock.reserve(Holder.DEPLOY, "deploy d-1 (deploy of v2)");

        ExecutionException e = assertThrows(ExecutionException.class, () -> manual.switchTo(next).get(10, TimeUnit.SECONDS));

        assertTrue(e.getCause().getMessage().startsWith("deploy d-1 (deploy of v2) is running and owns routing"),
                e.getCause().getMessage());
    }

    @Test
    void aSwitchToTheActiveTargetChangesNothingAndGivesRoutingBack() throws Exception {
        Backend before = switcher.active();

        Outcome outcome = manual.switchTo(old).get(10, TimeUnit.SECONDS);

        assertFalse(outcome.changed());
        assertSame(before, switcher.active());
        assertEquals(List.of(), health.asked);
        assertNull(lock.hold());
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "never: " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void aRehearsalRunsTheSwitchPathUpToTheHealthGateOnTheActiveTargetAndNeverFlips() throws Exception {
        Backend before = switcher.active();
        health.answer(CompletableFuture.completedFuture(Duration.ofMillis(5)));

        switcher.rehearse().get(10, TimeUnit.SECONDS);

        assertEquals(List.of(old), health.asked, "the health gate was asked, for the active target");
        assertSame(before, switcher.active(), "the same backend takes every request");
        assertFalse(before.draining());
        assertNull(switcher.lastSwitch(), "no switch happened");
        assertNull(switcher.previous().target());
    }

    @Test
    void aRehearsalWhoseHealthCheckFailsCompletesAndChangesNothing() throws Exception {
        Backend before = switcher.active();
        health.answer(CompletableFuture.failedFuture(new HealthCheck.UnhealthyException(old + " answered 500")));

        switcher.rehearse().get(10, TimeUnit.SECONDS);

        assertSame(before, switcher.active());
        assertFalse(before.draining());
        assertNull(switcher.lastSwitch());
    }

    /** A health gate whose answer the test gives; it remembers what it was asked to check. */
    private final class FakeHealth implements HealthGate {
        final List<Target> asked = new CopyOnWriteArrayList<>();
        private volatile CompletableFuture<Duration> answer = new CompletableFuture<>();

        void answer(CompletableFuture<Duration> a) {
            answer = a;
        }

        @Override
        public CompletableFuture<Duration> check(Target target, InetSocketAddress address) {
            asked.add(target);
            // a real check completes on the control loop, where its last probe ended
            CompletableFuture<Duration> onControl = new CompletableFuture<>();
            answer.whenComplete((d, e) -> control.execute(() -> {
                if (e != null) {
                    onControl.completeExceptionally(e);
                } else {
                    onControl.complete(d);
                }
            }));
            return onControl;
        }
    }

    /** A previous-target watch that only remembers; nothing is warm. */
    private static final class FakeWatch implements PreviousTarget.Watch {
        volatile Target watched;
        final ConcurrentLinkedQueue<Target> forgotten = new ConcurrentLinkedQueue<>();

        @Override
        public void watch(Target target, InetSocketAddress resolved) {
            watched = target;
        }

        @Override
        public void forget(Target target) {
            forgotten.add(target);
        }

        @Override
        public boolean warm(Target target) {
            return false;
        }

        @Override
        public void health(HealthCheck next) {
        }

        @Override
        public void stop() {
            watched = null;
        }
    }
}
