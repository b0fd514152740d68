package io.cutover.control.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.HealthSettings;
import io.cutover.control.health.HealthCheck;
import io.cutover.control.observe.Metrics;
import io.cutover.control.switching.RoutingLock.Holder;
import io.cutover.control.switching.SwitchService.Outcome;
import io.cutover.control.switching.SwitchService.SwitchInProgressException;
import io.cutover.proxy.Backend;
import io.cutover.proxy.http.HeadParser;
import io.cutover.proxy.http.RequestHead;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Router;
import io.cutover.proxy.Target;
import io.cutover.proxy.TestPorts;
import io.cutover.proxy.TestProxy;
import io.cutover.proxy.TrafficObserver;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
    private Drains drains;
    private SwitchMetrics meters;
    private RoutingLock lock;
    private ManualSwitch manual;
    private Target old;
    private Target next;
    private final ReplicaSets replicaSets = new ReplicaSets();

    @BeforeEach
    void start() throws Exception {
        proxy = ProxyServer.create(ProxySettings.defaults(), TestProxy.transport(), 1, TrafficObserver.NONE);
        control = new DefaultEventLoop();
        metrics = new Metrics();
        String app = Router.DEFAULT_APP;
        drains = new Drains(app, proxy, control, metrics, Duration.ofMinutes(1), Duration.ofHours(1));
        meters = new SwitchMetrics(app, proxy.router().app(app), drains, new SimpleMeterRegistry());
        switcher = new Switcher(app, proxy, control, Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC), health,
                drains, new PreviousTarget(watch, control), meters, replicaSets);
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

    @Test
    void aSwitchBackToThePreviousTargetWhoseWatchFoundItHealthyFlipsWithNoProbe() throws Exception {
        watch.warm.add(next);

        Outcome outcome = manual.switchTo(next).get(10, TimeUnit.SECONDS);

        assertEquals(new Outcome(old, next, true, Duration.ZERO), outcome);
        assertEquals(List.of(), health.asked, "no probe of its own");
        assertEquals(next, switcher.active().target());
        assertEquals(old, switcher.lastSwitch().from());
        io.cutover.proxy.Eventually.until(Duration.ofSeconds(10), "the watch told of both targets",
                () -> watch.unwatched.contains(next) && old.equals(watch.watched));
    }

    @Test
    void anyTargetLeftRecentlyWhoseWatchFoundItHealthyFlipsWithNoProbeAndItsConnectionsOpenBeside() throws Exception {
        try (io.cutover.proxy.TestBackend running = io.cutover.proxy.TestBackend.start("third")) {
            Target third = running.target();
            watch.warm.add(third);

            Outcome outcome = manual.switchTo(third).get(10, TimeUnit.SECONDS);

            assertEquals(new Outcome(old, third, true, Duration.ZERO), outcome);
            assertEquals(List.of(), health.asked, "no probe of its own");
            Backend now = switcher.active();
            assertEquals(third, now.target());
            io.cutover.proxy.Eventually.until(Duration.ofSeconds(10), "a connection opened ahead of the requests",
                    () -> now.idleConnections() > 0);
        }
    }

    @Test
    void aSwitchBackToAWarmTargetWhoseVersionHasSeveralReplicasChecksEachOfThem() throws Exception {
        Target second = Target.parse("127.0.0.1:" + TestPorts.free());
        replicaSets.lookup(t -> t.equals(next) ? List.of(next, second) : List.of(t));
        watch.warm.add(next);      // the watch probes one address: the other replica is unknown to it
        health.answer(CompletableFuture.completedFuture(Duration.ofMillis(3)));

        Outcome outcome = manual.switchTo(next).get(10, TimeUnit.SECONDS);

        assertEquals(new Outcome(old, next, true, Duration.ofMillis(3)), outcome);
        assertEquals(java.util.Set.of(next, second), java.util.Set.copyOf(health.asked), "each replica's gate");
    }

    @Test
    void theFirstSwitchOfAnAppWithNothingRoutedHasNothingToDrainNorAPreviousTarget() throws Exception {
        proxy.router().flip(null);
        health.answer(CompletableFuture.completedFuture(Duration.ofMillis(3)));

        Outcome outcome = manual.switchTo(next).get(10, TimeUnit.SECONDS);

        assertEquals(new Outcome(null, next, true, Duration.ofMillis(3)), outcome);
        assertEquals(next, switcher.active().target());
        SwitchRecord last = switcher.lastSwitch();
        assertNull(last.from());
        assertEquals(next, last.to());
        assertEquals(Duration.ofMillis(3), last.healthWait());
        assertNull(switcher.previous().target(), "nothing to roll back to");
        assertEquals(List.of(), switcher.drains().draining());
    }

    @Test
    void aFlipOfAHealthCheckedTargetRecordsItsWaitAndHandsBackTheDrainOfTheOld() throws Exception {
        Backend before = switcher.active();

        SwitchService.Flip flip = switcher.flipChecked(next, "v2", Duration.ofMillis(7));

        assertEquals(old, flip.previous());
        assertEquals("v2", switcher.active().version());
        assertEquals(next, switcher.active().target());
        assertEquals(old, flip.drain().get(10, TimeUnit.SECONDS).target());
        assertTrue(before.draining());
        eventually(() -> switcher.lastSwitch().drain() != null, "the record has the drain");
        assertEquals(Duration.ofMillis(7), switcher.lastSwitch().healthWait());
        assertEquals(old, switcher.lastSwitch().drain().target());
    }

    @Test
    void aDrainWaitsForTheRequestsInFlightOnTheOldBackendAndCountsThem() throws Exception {
        Backend before = switcher.active();
        RequestHead head = HeadParser.parseRequest(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                StandardCharsets.ISO_8859_1));
        try {
            assertSame(before, ((io.cutover.proxy.Forward) proxy.router().route(head, h -> "10.0.0.1")).backend());
        } finally {
            head.release();
        }
        SwitchService.Flip flip = switcher.flipChecked(next, "v2", Duration.ZERO);
        assertEquals(1, drains.inFlight(), "the request counted in on the old backend is still under way");
        assertEquals(List.of(before), drains.draining());
        assertFalse(flip.drain().isDone());
        SwitchService service = service();
        assertEquals(1, service.inFlight(), "a request still under way on a draining backend counts");
        assertEquals(List.of(before), service.draining());

        before.exit();

        io.cutover.proxy.DrainResult result = flip.drain().get(10, TimeUnit.SECONDS);
        assertEquals(1, result.inFlight());
        assertEquals(1, result.completed());
        assertEquals(0, result.forced());
        eventually(() -> drains.draining().isEmpty(), "the drained backend is no longer listed");
        assertEquals(0, drains.inFlight());
    }

    @Test
    void aDrainedVersionsRequestSeriesLeaveTheMetricsUnlessTrafficWentBackToIt() throws Exception {
        Drains quick = new Drains(Router.DEFAULT_APP, proxy, control, metrics, Duration.ofSeconds(5), Duration.ZERO);
        Backend before = switcher.active();
        Timer series = Timer.builder("cutover.requests").tags("app", Router.DEFAULT_APP, "target", old.toString(),
                "version", before.version()).register(metrics.registry());
        Backend other = proxy.newBackend(Router.DEFAULT_APP, next, next.resolve(), "v2");
        Timer otherSeries = Timer.builder("cutover.requests").tags("app", Router.DEFAULT_APP, "target", next.toString(),
                "version", "v2").register(metrics.registry());
        List<io.cutover.proxy.DrainResult> told = new CopyOnWriteArrayList<>();

        quick.drain(before, told::add).get(10, TimeUnit.SECONDS);      // still the active version
        quick.drain(other, told::add).get(10, TimeUnit.SECONDS);        // not routed

        eventually(() -> metrics.registry().find("cutover.requests").tags("target", next.toString()).timer() == null,
                "the series of the version traffic left are forgotten");
        assertSame(series, metrics.registry().find("cutover.requests").tags("target", old.toString()).timer(),
                "the active version's series stay");
        assertEquals(2, told.size());
        assertEquals(next, told.get(1).target());
        assertTrue(otherSeries != null);
    }

    @Test
    void aReloadOfAnAppThatKeepsItsVersionKeepsItsBackendAndAnotherVersionReplacesIt() throws Exception {
        Backend before = switcher.active();
        switcher.startWith(old);
        assertSame(before, switcher.active(), "same target, same version: its connections stay");

        switcher.startWith(old, "v9");

        assertEquals("v9", switcher.active().version());
        assertEquals(old, switcher.active().target());
        assertTrue(before.draining(), "the version replaced drains");
        switcher.startWith(next, "v9");
        assertEquals(next, switcher.active().target(), "the same version at another target is another backend");
        assertNull(switcher.lastSwitch(), "a start-up is no switch");
    }

    @Test
    void trafficGoesToACanarysTargetTooAndAnAppWithNothingRoutedGoesNowhere() throws Exception {
        SwitchService service = service();
        assertFalse(service.routesTo(next));
        service.canaryStart(next, "v2", List.of(), new byte[32]);
        assertTrue(service.routesTo(next));
        assertTrue(service.routesTo(old));
        proxy.router().flip(null);
        assertFalse(service.routesTo(old));
        assertTrue(service.routesTo(next));
    }

    @Test
    void aCanaryStartsAtZeroTakesTheShareAskedAndIsPromotedAsASwitch() throws Exception {
        SwitchService service = service();
        Backend stable = service.active();
        assertSame(stable, service.canaries().stable());
        Backend candidate = service.canaryStart(next, "v2", List.of(new io.cutover.proxy.Canary.Allow(false, "x", "y")),
                new byte[32]);
        assertEquals(0, service.canary().basisPoints());
        assertSame(candidate, service.canary().backend());
        assertEquals("v2", candidate.version());
        assertEquals(1, service.canary().allow().size());
        assertEquals(new io.cutover.proxy.CanaryCookie(Router.DEFAULT_APP, new byte[32]).value(7),
                service.canary().cookie().value(7), "signed with the app's key");

        service.canaryShare(25);
        assertEquals(2500, service.canary().basisPoints());
        assertSame(candidate, service.canary().backend());

        SwitchService.Flip flip = service.canaryPromote(Duration.ofMillis(9));
        assertEquals(old, flip.previous());
        assertSame(candidate, service.active());
        assertNull(service.canary());
        assertEquals(new SwitchRecord(old, next, NOW, Duration.ofMillis(9), null).to(), service.lastSwitch().to());
        assertEquals(old, service.lastSwitch().from());
        assertEquals(Duration.ofMillis(9), service.lastSwitch().healthWait());
        assertEquals(old, flip.drain().get(10, TimeUnit.SECONDS).target());
        assertTrue(stable.draining());
        assertEquals(old, service.previous(), "a rollback goes back to the version the canary replaced");
        io.cutover.proxy.Eventually.until(Duration.ofSeconds(10), "the promoted target no longer watched",
                () -> watch.unwatched.contains(next));
    }

    @Test
    void aCanaryPromotedWhereNothingWasRoutedHasNothingToDrain() throws Exception {
        SwitchService service = service();
        service.canaryStart(next, "v2", List.of(), new byte[32]);
        proxy.router().flip(null);
        SwitchService.Flip flip = service.canaryPromote(Duration.ZERO);
        assertNull(flip.previous());
        assertNull(flip.drain().get(10, TimeUnit.SECONDS));
        assertNull(service.lastSwitch().from());
        assertEquals(next, service.lastSwitch().to());
    }

    @Test
    void anAbortedCanaryTakesNoNewRequestAndDrains() throws Exception {
        SwitchService service = service();
        assertNull(service.canaryAbort().get(10, TimeUnit.SECONDS), "no canary: nothing to drain");
        Backend candidate = service.canaryStart(next, "v2", List.of(), new byte[32]);
        service.canaryShare(50);

        io.cutover.proxy.DrainResult result = service.canaryAbort().get(10, TimeUnit.SECONDS);

        assertNull(service.canary());
        assertEquals(next, result.target());
        assertTrue(candidate.draining());
        assertEquals(old, service.active().target());
        assertNull(service.lastSwitch(), "an abort is no switch");
    }

    @Test
    void aShareWithoutACanaryIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> service().canaryShare(10));
        assertEquals("app default has no canary", e.getMessage());
    }

    @Test
    void maintenanceAnswersEveryRequestUntilTurnedOffAndAPauseHoldsThemUntilResumed() {
        TrafficGate gate = service().gate();
        assertFalse(gate.inMaintenance());
        gate.maintenanceOff();
        gate.maintenanceOn("<p>soon</p>", 30);
        assertTrue(gate.inMaintenance());
        assertEquals("<p>soon</p>", proxy.router().maintenance().page());
        gate.maintenanceOff();
        assertFalse(gate.inMaintenance());
        assertNull(proxy.router().maintenance());

        assertNull(gate.paused());
        gate.resume();
        gate.pause(Duration.ofSeconds(4), 3);
        assertEquals(Duration.ofSeconds(4), gate.paused().timeout());
        assertEquals(3, gate.paused().maxHeld());
        assertSame(gate.paused(), proxy.router().pause());
        gate.resume();
        assertNull(gate.paused());
    }

    @Test
    void thePreviousTargetIsWarmOnlyOnceThereIsOneAndItsWatchFoundItHealthy() throws Exception {
        SwitchService service = service();
        assertFalse(service.previousWarm(), "no previous target yet");
        watch.warm.add(old);
        assertFalse(service.previousWarm());
        service.flipChecked(next, "v2", Duration.ZERO);
        assertTrue(service.previousWarm());
        watch.warm.clear();
        assertFalse(service.previousWarm());

        service.stopped(old);
        eventually(() -> watch.forgotten.contains(old), "the stopped target is forgotten by its watch");
    }

    @Test
    void aReloadsSettingsReachTheNextDrainTheNextHealthGateAndTheWatchAndClosingStopsTheWatch() throws Exception {
        SwitchService service = service();
        HealthCheck newCheck = checkNobodyAnswers();
        service.reconfigure(newCheck, Duration.ofMillis(1));
        eventually(() -> watch.health == newCheck, "the watch probes with the new settings");

        Backend before = switcher.active();
        RequestHead head = HeadParser.parseRequest(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                StandardCharsets.ISO_8859_1));
        try {
            proxy.router().route(head, h -> "10.0.0.1");     // counted in on the old backend, never out
        } finally {
            head.release();
        }
        io.cutover.proxy.DrainResult drained = service.flipChecked(next, "v2", Duration.ZERO).drain().get(10, TimeUnit.SECONDS);
        assertEquals(1, drained.forced(), "the request still under way at the new deadline was cut");
        assertTrue(drained.took().compareTo(Duration.ofSeconds(10)) < 0, "the old deadline (1 min) was not used: " + drained);
        before.exit();

        // the new check probes a port nothing listens on: the switch is refused by it, not by the old gate
        ExecutionException e = assertThrows(ExecutionException.class, () -> manual.switchTo(old).get(10, TimeUnit.SECONDS));
        assertInstanceOf(HealthCheck.UnhealthyException.class, e.getCause());
        assertEquals(List.of(), health.asked, "the gate before the reload was not asked");

        service.close();
        eventually(() -> watch.stopped, "the watch stopped");
    }

    @Test
    void theServiceHandsOutItsPartsAndForwardsToThem() throws Exception {
        SwitchService service = service();
        assertEquals(Router.DEFAULT_APP, service.app());
        assertSame(lock, service.lock());
        assertSame(switcher, service.switcher());
        assertSame(manual, service.manual());
        assertSame(switcher.active(), service.active());
        assertNotNull(service.shadows());
        assertNotNull(service.replicas());
        assertNull(service.shadows().shadow());
        assertEquals(0, service.inFlight());
        assertFalse(service.heldByTakeover());
        lock.tryReserve(Holder.TAKEOVER);
        assertTrue(service.heldByTakeover());
        lock.release();
        lock.tryReserve(Holder.DEPLOY);
        assertFalse(service.heldByTakeover());
        lock.release();

        health.answer(CompletableFuture.completedFuture(Duration.ZERO));
        assertEquals(next, service.switchTo(next).get(10, TimeUnit.SECONDS).active());
        assertEquals(old, service.previous());
        assertEquals(switcher.lastSwitch(), service.lastSwitch());
        eventually(() -> service.draining().isEmpty(), "the old backend drained");
        service.startWith(old);
        assertEquals(old, service.active().target());
        service.startWith(next, "v3");
        assertEquals("v3", service.active().version());
    }

    @Test
    void aRefusalWhileRoutingChangesHandsSaysASwitchOrDeployRuns() {
        assertEquals("a switch or deploy is already running", ManualSwitch.refusal(null));
        assertEquals("a switch to x is already running",
                ManualSwitch.refusal(new RoutingLock.Hold(Holder.SWITCH, "a switch to x")));
        assertEquals("reload is running and owns routing until it ends; switch after it (or roll back then)",
                ManualSwitch.refusal(new RoutingLock.Hold(Holder.RELOAD, Holder.RELOAD.label())));
    }

    @Test
    void aDeployWaitingForRoutingHoldsItOnceItHasIt() {
        lock.reserve(Holder.DEPLOY, "deploy d-2");
        assertEquals(new RoutingLock.Hold(Holder.DEPLOY, "deploy d-2"), lock.hold());
        assertTrue(lock.heldBy(Holder.DEPLOY));
        assertFalse(lock.heldBy(Holder.SWITCH));
        assertFalse(lock.tryReserve(Holder.SWITCH));
        lock.release();
        assertNull(lock.hold());
        assertFalse(lock.heldBy(Holder.DEPLOY));
    }

    @Test
    void aVersionSpansTheReplicasItsDeployerNamesWithTheTargetFirstAndIsOneReplicaOtherwise() {
        ReplicaSets sets = new ReplicaSets();
        assertEquals(List.of(old), sets.of(old), "nothing known: a version of one");
        sets.lookup(t -> List.of(t, next));
        assertEquals(List.of(old, next), sets.of(old));
        Backend both = sets.backend(proxy, Router.DEFAULT_APP, old, old.resolve(), "v1");
        assertEquals(List.of(old, next), both.targets());
        assertEquals(2, both.replicas().size());
        sets.lookup(t -> List.of(next, t));
        assertEquals(List.of(old), sets.of(old), "a set that does not start with the target is not its version's");
        sets.lookup(t -> List.of());
        assertEquals(List.of(old), sets.of(old));
        assertEquals(List.of(old), sets.backend(proxy, Router.DEFAULT_APP, old, old.resolve(), "v1").targets());
    }

    /** The service over this test's parts; its health check (never asked here) has nobody to probe. */
    private SwitchService service() {
        String app = Router.DEFAULT_APP;
        return new SwitchService(app, checkNobodyAnswers(), switcher, manual, lock,
                new CanaryRoutes(app, proxy.router().app(app), switcher, drains),
                new ShadowRoutes(app, proxy.router().app(app), proxy, new ReplicaSets()),
                new TrafficGate(app, proxy, proxy.router().app(app)), meters, new ReplicaSets());
    }

    private HealthCheck checkNobodyAnswers() {
        return HealthCheck.on(control, TestProxy.transport(),
                new HealthSettings("/health", Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(1)),
                io.cutover.proxy.Ticker.SYSTEM);
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

        Backend rehearsed = switcher.rehearse().get(10, TimeUnit.SECONDS);

        assertEquals(List.of(old), health.asked, "the health gate was asked, for the active target");
        assertEquals(old, rehearsed.target());
        assertTrue(rehearsed.draining(), "the rehearsal's backend was discarded");
        assertSame(before, switcher.active(), "the same backend takes every request");
        assertFalse(before.draining());
        assertNull(switcher.lastSwitch(), "no switch happened");
        assertNull(switcher.previous().target());
    }

    @Test
    void aRehearsalWhoseHealthCheckFailsCompletesAndChangesNothing() throws Exception {
        Backend before = switcher.active();
        health.answer(CompletableFuture.failedFuture(new HealthCheck.UnhealthyException(old + " answered 500")));

        Backend rehearsed = switcher.rehearse().get(10, TimeUnit.SECONDS);

        assertTrue(rehearsed.draining(), "the rehearsal's backend was discarded");
        assertSame(before, switcher.active());
        assertFalse(before.draining());
        assertNull(switcher.lastSwitch());
    }

    @Test
    void aRehearsalOnACutoverWhoseLoopsAreStoppingOpensNoConnectionAndAsksNoHealth() throws Exception {
        Backend before = switcher.active();
        proxy.close();      // as after a hand-over: its loops stop

        Backend rehearsed = switcher.rehearse().get(10, TimeUnit.SECONDS);

        assertEquals(List.of(), health.asked, "nothing rehearsed on loops that stop");
        assertEquals(0, rehearsed.openConnections(), "no connection attempted on them");
        assertTrue(rehearsed.draining(), "the rehearsal's backend was discarded");
        assertSame(before, switcher.active());
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

    /** A previous-target watch that only remembers; warm are the targets the test says. */
    private static final class FakeWatch implements PreviousTarget.Watch {
        volatile Target watched;
        final ConcurrentLinkedQueue<Target> forgotten = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Target> unwatched = new ConcurrentLinkedQueue<>();
        final java.util.Set<Target> warm = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile HealthCheck health;
        volatile boolean stopped;

        @Override
        public void watch(Target target, InetSocketAddress resolved) {
            watched = target;
        }

        @Override
        public void unwatch(Target target) {
            unwatched.add(target);
        }

        @Override
        public void forget(Target target) {
            forgotten.add(target);
        }

        @Override
        public boolean warm(Target target, InetSocketAddress address) {
            return warm.contains(target);
        }

        @Override
        public void health(HealthCheck next) {
            health = next;
        }

        @Override
        public void stop() {
            watched = null;
            stopped = true;
        }
    }
}
