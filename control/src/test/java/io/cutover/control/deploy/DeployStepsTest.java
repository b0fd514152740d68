package io.cutover.control.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.admin.Json;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.deploy.state.StateKeeper;
import io.cutover.control.deploy.state.StateStore;
import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.Target;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deploy's steps on their own, no sockets: a runtime, routing and health gate that record
 * what happens to them, in order, into one list of events.
 */
class DeployStepsTest {
    private static final List<Integer> PORTS = List.of(18081, 18082);

    @TempDir
    Path dir;

    /** What happened, in order, across the runtime, routing and the drain. */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
    private final Routes routing = new Routes();
    private final Runtime runtime = new Runtime();
    private HealthGate health = (target, stopped) -> Duration.ofMillis(5);
    private StateKeeper states;
    private DeploySteps steps;
    private Instance old;

    /** What the runtime finds left over from an interrupted deploy (and removes). */
    private volatile List<String> leftovers = List.of();
    /** The steps' ticker: still unless a test moves it. */
    private final java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);

    /** A runtime whose versions run once started until stopped. */
    private final class Runtime implements AppRuntime {
        @Override
        public Instance start(Release release, Colour colour, List<Integer> ports, String deployId) {
            events.add("start " + release.describe());
            return Instance.of(colour, release, deployId,
                    ports.stream().map(p -> new Instance.Replica(p, "fake-" + deployId + "-" + p, Instant.EPOCH)).toList());
        }

        @Override
        public Instance restart(Instance instance) {
            events.add("restart " + instance.release().describe());
            return instance.withReplicas(instance.replicas().stream()
                    .map(r -> new Instance.Replica(r.port(), "restarted-" + r.handle(), Instant.EPOCH)).toList());
        }

        @Override
        public Optional<String> notRunning(Instance instance, int k) {
            return events.contains("stop " + instance.release().describe()) ? Optional.of("is stopped") : Optional.empty();
        }

        @Override
        public List<String> logs(Instance instance, int k, int lines) {
            return List.of("listening on " + instance.replicas().get(k).port(), "database unreachable");
        }

        @Override
        public void stop(Instance instance) {
            events.add("stop " + instance.release().describe());
        }

        @Override
        public void remove(Instance instance) {
            events.add("remove " + instance.release().describe());
        }

        @Override
        public List<String> removeAllExcept(Collection<Instance> keep, Collection<Instance> recorded) {
            return leftovers;
        }

        @Override
        public String kind() {
            return "fake";
        }
    }

    /** Routing to one target at a time; a flip's drain says when it is waited for. */
    private final class Routes implements Routing {
        volatile Target active;
        /** The health wait the last flip was told of. */
        volatile Duration lastHealthWait;
        /** Requests a drain cuts at its deadline. */
        volatile int forced;
        /** An operator switches back to the old version as soon as a flip is done. */
        volatile boolean switchedBackAfterTheFlip;

        @Override
        public Flip flip(Target target, String version, Duration healthWait) {
            lastHealthWait = healthWait;
            Target was = active;
            events.add("flip to " + version + (states.current().active().target().equals(target) ? " (recorded)" : ""));
            active = switchedBackAfterTheFlip ? was : target;
            CompletableFuture<DrainResult> drain = new CompletableFuture<>() {
                @Override
                public DrainResult join() {
                    events.add("drained " + was);
                    return was == null ? null : new DrainResult(was, 2, 2, forced, Duration.ofMillis(3));
                }
            };
            return new Flip(was, drain);
        }

        @Override
        public Flip promoteCanary(Duration healthWait) {
            events.add("promote the canary");
            Target was = active;
            active = canary;
            return new Flip(was, CompletableFuture.completedFuture(null));
        }

        /** The canary started, if any. */
        volatile Target canary;

        @Override
        public boolean routesTo(Target target) {
            return target.equals(active);
        }

        @Override
        public void stopped(Target target) {
            events.add("routing hears " + target + " stopped");
        }

        @Override
        public java.util.function.Supplier<io.cutover.proxy.RequestStats.Snapshot> activeFigures() {
            return () -> io.cutover.proxy.RequestStats.Snapshot.EMPTY;
        }
    }

    private static AppSettings app() {
        return app(AppSettings.KeepPrevious.STOPPED);
    }

    private static AppSettings app(AppSettings.KeepPrevious keepPrevious) {
        return app(keepPrevious, null);
    }

    private static AppSettings app(AppSettings.KeepPrevious keepPrevious, Path stateFile) {
        return new AppSettings("shop", AppSettings.Runtime.PROCESS, PORTS, null, List.of("app"), Map.of(), List.of(),
                null, 0, AppSettings.Pull.NEVER, null, Duration.ofSeconds(10), keepPrevious,
                Duration.ofMinutes(5), 20, Duration.ofSeconds(10), stateFile, Duration.ZERO, WarmUpSettings.OFF,
                io.cutover.control.config.HookSettings.NONE);
    }

    private static Release release(String version) {
        return new Release(null, List.of(version), Map.of());
    }

    private static Deployment deployment(String version) {
        return new Deployment("d-" + version, Deployment.Kind.DEPLOY, release(version), Instant.EPOCH, () -> 0);
    }

    /** What was handed to the reaper: previous versions kept running. */
    private final List<AppState> keptRunning = new CopyOnWriteArrayList<>();
    private final io.micrometer.core.instrument.Counter warnings = new SimpleMeterRegistry().counter("warnings");

    private DeploySteps steps(AppSettings app) {
        RunStates runStates = new RunStates(runtime, watcher);
        return new DeploySteps(app, new DeploySteps.Parts(runtime, routing, (t, s) -> health.await(t, s), states,
                runStates, (t, plan) -> {
                    throw new AssertionError("no warm-up here");
                }), keptRunning::add, warnings, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), now::get);
    }

    @BeforeEach
    void serveTheOldVersion() {
        states = new StateKeeper(new StateStore(dir.resolve("shop.json"), "shop", PORTS, Json.mapper()));
        steps = steps(app());
        old = runtime.start(release("v1"), Colour.BLUE, PORTS.get(0), "d-v1");
        states.record(new AppState(old, null, null));
        routing.active = old.target();
        events.clear();
    }

    @AfterEach
    void stopWatcher() {
        watcher.shutdownNow();
    }

    @Test
    void aCandidateFailingItsHealthGateIsRemovedWithItsLastLogLinesAndTheOldVersionKeepsServing() throws Exception {
        health = (target, stopped) -> {
            throw new UnhealthyException(target + " did not pass its health check");
        };
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        UnhealthyException e = assertThrows(UnhealthyException.class,
                () -> steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate)));
        assertTrue(e.getMessage().endsWith("its last log lines:\n  listening on 18082\n  database unreachable"),
                e.getMessage());
        assertEquals(List.of("start v2", "remove v2"), events, "no flip, and the old version never stopped");
        assertEquals("candidate removed: v2", d.steps().get(1).name() + ": " + d.steps().get(1).detail());
        assertEquals(old.target(), routing.active);
        assertEquals(new AppState(old, null, null), states.current(), "the candidate is forgotten; v1 stays active");
    }

    @Test
    void aHealthyCandidateIsRecordedBeforeTheFlipAndTheOldVersionStopsOnlyAfterItsDrain() throws Exception {
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate));
        assertEquals(List.of("start v2", "flip to v2 (recorded)", "drained " + old.target(), "stop v1",
                "routing hears " + old.target() + " stopped"), events);
        assertEquals("drained: 2 requests in 3 ms", d.steps().get(3).name() + ": " + d.steps().get(3).detail(),
                "no requests cut, so none said to be");
        assertEquals(Duration.ZERO, routing.lastHealthWait, "the flip is told how long the health gate took");
        assertEquals(List.of("candidate started", "healthy", "switched", "drained", "old version stopped"),
                d.steps().stream().map(Deployment.Step::name).toList());
        assertEquals(new AppState(candidate, old, null), states.current());
        assertEquals(List.of(), d.warnings());
    }

    @Test
    void anOldVersionThatCarriesTrafficAgainAfterTheFlipIsNotStoppedAndTheDeployWarns() throws Exception {
        routing.switchedBackAfterTheFlip = true;
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate));
        assertTrue(events.stream().noneMatch(e -> e.startsWith("stop")), events.toString());
        assertEquals(List.of("v1 carries traffic, so it was not stopped"), d.warnings());
    }

    @Test
    void whatIsToldOutsideOfAFailureIsItsFirstLineNotTheVersionsLogLines() {
        assertEquals("not healthy after 30 s: connection refused",
                Deployer.firstLine("not healthy after 30 s: connection refused  \nlast log lines:\nDB_PASSWORD=hunter2"));
        assertEquals("gave up", Deployer.firstLine("gave up"));
        assertEquals(null, Deployer.firstLine(null));
    }

    @Test
    void aBakeThatFoundTheNewVersionWorseFlipsBackToThePreviousRecordedFirstAndStopsTheNewOneAfterItsDrain()
            throws Exception {
        Deployment d = deployment("v2");
        Instance bad = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, bad, old, () -> steps.discard(d, bad), DeploySteps.READY, DeploySteps.NOTHING);
        events.clear();
        routing.forced = 1;
        steps.flipBack(d, bad, old, "errors worse than before the flip");
        assertEquals(List.of("flip to v1 (recorded)", "drained " + bad.target(), "stop v2",
                "routing hears " + bad.target() + " stopped"), events);
        assertEquals(new AppState(old, bad, null), states.current(), "v1 active again, v2 the previous one");
        List<String> last = d.steps().stream().skip(d.steps().size() - 4).map(x -> x.name() + ": " + x.detail()).toList();
        assertEquals(List.of("healthy: after 0 ms", "rolled back: errors worse than before the flip; " + bad.target()
                        + " -> " + old.target(), "drained: 2 requests in 3 ms, 1 cut at the deadline",
                "new version stopped: v2 on green"), last);
    }

    @Test
    void aFlipBackToAPreviousVersionThatIsNotHealthyLeavesTrafficWhereItIs() throws Exception {
        Deployment d = deployment("v2");
        Instance bad = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, bad, old, () -> steps.discard(d, bad), DeploySteps.READY, DeploySteps.NOTHING);
        AppState before = states.current();
        events.clear();
        health = (target, stopped) -> {
            throw new UnhealthyException(target + " refused");
        };
        assertThrows(UnhealthyException.class, () -> steps.flipBack(d, bad, old, "worse"));
        assertEquals(List.of(), events, "no flip, nothing stopped");
        assertEquals(before, states.current());
    }

    @Test
    void anOldVersionKeptRunningIsRecordedWithWhenItStopsAndHandedToTheReaper() throws Exception {
        steps = steps(app(AppSettings.KeepPrevious.RUNNING));
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate));
        assertTrue(events.stream().noneMatch(e -> e.startsWith("stop")), events.toString());
        AppState kept = new AppState(candidate, old, null, Instant.EPOCH.plus(Duration.ofMinutes(5)));
        assertEquals(kept, states.current(), "it stops keep-running-for after now");
        assertEquals(List.of(kept), keptRunning);
        Deployment.Step last = d.steps().get(d.steps().size() - 1);
        assertEquals("old version kept running: for 300 s: rollback is instant until then",
                last.name() + ": " + last.detail());

        steps.stopPrevious(old);
        assertTrue(events.contains("stop v1"), events.toString());
        assertEquals(new AppState(candidate, old, null, null), states.current(), "stopped: no stop time left");
    }

    @Test
    void aStepAfterTheFlipThatFailsIsAWarningCountedAndTheDeployGoesOn() {
        Deployment d = deployment("v2");
        steps.afterFlip(d, "retiring v1", () -> {
            throw new IllegalStateException("docker is gone");
        });
        steps.afterFlip(d, "retiring v0", () -> {
            throw new IllegalStateException();
        });
        steps.afterFlip(d, "nothing wrong", () -> { });
        assertEquals(List.of("retiring v1 failed: docker is gone", "retiring v0 failed: IllegalStateException"),
                d.warnings());
        assertEquals(2.0, warnings.count());
    }

    @Test
    void aRollbackWakesThePreviousVersionOnlyIfItIsNotRunningAndRecordsTheWokenOne() {
        Deployment d = deployment("v2");
        Instance previous = runtime.start(release("v0"), Colour.GREEN, PORTS.get(1), "d-v0");
        states.record(new AppState(old, previous, null));
        assertEquals(previous, steps.wake(d, previous), "still running: taken as it is");
        assertEquals("previous version still running: v0", d.steps().get(0).name() + ": " + d.steps().get(0).detail());
        assertEquals(List.of("start v0"), events, "not restarted");

        runtime.stop(previous);
        Instance woken = steps.wake(d, previous);
        assertEquals("restarted-" + previous.handle(), woken.handle());
        assertEquals("previous version started: v0 on green", d.steps().get(1).name() + ": " + d.steps().get(1).detail());
        assertEquals(new AppState(old, woken, null), states.current(), "the woken run is recorded");
    }

    @Test
    void makingRoomStopsAPreviousVersionOnTheCandidatesColourAndSaysSoOnlyIfItWasRunning() throws Exception {
        Deployment d = deployment("v2");
        Instance previous = runtime.start(release("v0"), Colour.GREEN, PORTS.get(1), "d-v0");
        steps.makeRoom(d, old, previous);
        assertEquals(List.of("start v0", "stop v0", "routing hears " + previous.target() + " stopped"), events);
        assertEquals(List.of("previous version stopped: v0 (to free " + previous.target() + ")"),
                d.steps().stream().map(x -> x.name() + ": " + x.detail()).toList());

        Deployment again = deployment("v3");
        steps.makeRoom(again, old, previous);
        assertEquals(List.of(), again.steps(), "stopped again, as its restart policy may bring it back, but not told");
        assertEquals(2, events.stream().filter(e -> e.equals("stop v0")).count());

        Deployment none = deployment("v4");
        steps.makeRoom(none, old, null);
        assertEquals(List.of(), none.steps());
    }

    @Test
    void makingRoomIsRefusedWhileTrafficGoesToThePreviousVersionWhosePortTheCandidateWouldTake() {
        Instance previous = runtime.start(release("v0"), Colour.GREEN, PORTS.get(1), "d-v0");
        routing.active = previous.target();
        DeployException e = assertThrows(DeployException.class, () -> steps.makeRoom(deployment("v2"), old, previous));
        assertTrue(e.getMessage().startsWith("traffic goes to the previous version v0 at " + previous.target()),
                e.getMessage());
        assertTrue(events.stream().noneMatch(x -> x.startsWith("stop")), events.toString());
    }

    @Test
    void onceTheCandidateIsLiveTheOlderVersionIsRemovedAndAMissingOneIsNothingToDo() {
        Deployment d = deployment("v2");
        steps.removeOlder(d, null);
        assertEquals(List.of(), events);
        steps.removeOlder(d, runtime.start(release("v0"), Colour.GREEN, PORTS.get(1), "d-v0"));
        assertEquals(List.of("start v0", "remove v0"), events);
        assertEquals("removed older version", d.steps().get(0).name());
    }

    @Test
    void aCandidateOfMoreReplicasThanTheAppsPortsAllowIsNotStarted() {
        DeployException e = assertThrows(DeployException.class,
                () -> steps.startCandidate(deployment("v2"), Colour.GREEN, 0));
        assertEquals("cannot start 0 replicas: replicas must be at least 1, got 0", e.getMessage());
        assertEquals(List.of(), events);
    }

    @Test
    void aVersionOfSeveralReplicasIsGatedReplicaByReplicaAndTheOneThatFailsIsNamed() throws Exception {
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 2);
        assertEquals("2 replicas at " + candidate.target() + ", :" + candidate.replicas().get(1).port(),
                DeploySteps.where(candidate));
        assertEquals("candidate started: v2 on green at " + DeploySteps.where(candidate),
                d.steps().get(0).name() + ": " + d.steps().get(0).detail());
        assertEquals(Duration.ZERO, steps.awaitHealthy(d, candidate));
        assertEquals("healthy: all 2 replicas, after 0 ms", d.steps().get(1).name() + ": " + d.steps().get(1).detail());
        Target second = candidate.single(1).target();
        health = (target, stopped) -> {
            if (target.equals(second)) {
                throw new UnhealthyException(target + " did not pass its health check");
            }
            return Duration.ofMillis(5);
        };
        UnhealthyException e = assertThrows(UnhealthyException.class, () -> steps.awaitHealthy(d, candidate));
        assertTrue(e.getMessage().startsWith("replica 2 of 2: " + second + " did not pass its health check; its last log"
                + " lines:\n  listening on " + second.port()), e.getMessage());
    }

    @Test
    void aCanaryPromotionFlipsToItAndSaysWhyAndFromWhere() {
        Deployment d = deployment("v2");
        Instance candidate = runtime.start(release("v2"), Colour.GREEN, PORTS.get(1), "d-v2");
        Routing.Flip flip = steps.promote(d, candidate, "all steps passed", Duration.ZERO);
        assertEquals(old.target(), flip.previous());
        assertEquals("promoted: all steps passed; " + old.target() + " -> " + candidate.target(),
                d.steps().get(0).name() + ": " + d.steps().get(0).detail());
    }

    @Test
    void aFlipFromNothingSaysItNowRoutesAndADrainOfNothingIsNotAStep() throws Exception {
        routing.active = null;
        states.record(new AppState(null, null, null));
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, candidate, null, () -> steps.discard(d, candidate));
        assertEquals(List.of("candidate started", "healthy", "switched"),
                d.steps().stream().map(Deployment.Step::name).toList(), "no drain, nothing to retire");
        assertEquals("now routing to " + candidate.target(), d.steps().get(2).detail());
    }

    /** A canary's routing whose canary serves {@code canaryWindow} each window (the stable 1000 fast requests). */
    private final class CanaryRoutes implements io.cutover.control.canary.CanaryRouting {
        private final io.cutover.proxy.RequestStats.Snapshot canaryWindow;
        private io.cutover.proxy.RequestStats.Snapshot stable = io.cutover.proxy.RequestStats.Snapshot.EMPTY;
        private io.cutover.proxy.RequestStats.Snapshot canary = io.cutover.proxy.RequestStats.Snapshot.EMPTY;
        private int canaryReads;

        CanaryRoutes(io.cutover.proxy.RequestStats.Snapshot canaryWindow) {
            this.canaryWindow = canaryWindow;
        }

        private io.cutover.proxy.RequestStats.Snapshot plus(io.cutover.proxy.RequestStats.Snapshot a, long n, long errors) {
            long[] b = a.buckets().clone();
            b[0] += n;
            return new io.cutover.proxy.RequestStats.Snapshot(b, a.errors() + errors);
        }

        @Override
        public void start(Target candidate, String version, List<io.cutover.proxy.Canary.Allow> allow, byte[] key) {
            events.add("canary " + version + " at 0%");
            routing.canary = candidate;
        }

        volatile java.util.function.IntConsumer onShare = p -> { };

        @Override
        public void share(int percent) {
            events.add("canary at " + percent + "%");
            onShare.accept(percent);
        }

        @Override
        public io.cutover.proxy.RequestStats.Snapshot stable() {
            stable = plus(stable, 1000, 0);
            return stable;
        }

        @Override
        public io.cutover.proxy.RequestStats.Snapshot canary() {
            if (canaryReads++ % 2 == 1) {
                canary = plus(canary, canaryWindow.requests(), canaryWindow.errors());
            }
            return canary;
        }

        @Override
        public CompletableFuture<DrainResult> pullBack() {
            events.add("canary pulled back");
            return CompletableFuture.completedFuture(routing.canary == null ? null
                    : new DrainResult(routing.canary, 1, 1, 0, Duration.ofMillis(2)));
        }
    }

    private final Map<String, io.micrometer.core.instrument.Counter> canaryOutcomes = new java.util.concurrent.ConcurrentHashMap<>();
    private final io.micrometer.core.instrument.MeterRegistry meters = new SimpleMeterRegistry();

    private CanaryDeploy canaryDeploy(CanaryRoutes routes) {
        steps = steps(app(AppSettings.KeepPrevious.STOPPED, dir.resolve("shop.json")));
        return new CanaryDeploy(app(AppSettings.KeepPrevious.STOPPED, dir.resolve("shop.json")), steps, routes,
                new io.cutover.control.canary.Steering(),
                o -> canaryOutcomes.computeIfAbsent(o, k -> meters.counter("canaries", "outcome", k)), () -> 0,
                io.cutover.control.notify.Events.NONE, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
    }

    /** As {@link #canaryDeploy(CanaryRoutes)}, its routing told when each share is set. */
    private CanaryDeploy canaryDeploy(CanaryRoutes routes, java.util.function.IntConsumer onShare) {
        routes.onShare = onShare;
        return canaryDeploy(routes);
    }

    /** {@code n} fast requests, {@code errors} of them failed. */
    private static io.cutover.proxy.RequestStats.Snapshot fast(long n, long errors) {
        long[] b = new long[io.cutover.proxy.RequestStats.Snapshot.EMPTY.buckets().length];
        b[0] = n;
        return new io.cutover.proxy.RequestStats.Snapshot(b, errors);
    }

    private static io.cutover.control.config.CanarySettings canaryPlan() {
        return new io.cutover.control.config.CanarySettings(List.of(10, 100), Duration.ofMillis(1), 100, 2,
                Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of());
    }

    private double counted(String outcome) {
        io.micrometer.core.instrument.Counter c = canaryOutcomes.get(outcome);
        return c == null ? 0 : c.count();
    }

    @Test
    void aHealthyCanaryIsRecordedBeforeItsPromotionAndTheStableVersionRetiresAfterIt() throws Exception {
        CanaryDeploy canary = canaryDeploy(new CanaryRoutes(fast(200, 0)));
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        canary.bringIn(d, canaryPlan(), candidate, old, DeploySteps.READY, DeploySteps.NOTHING);
        assertEquals(List.of("start v2", "canary v2 at 0%", "canary at 10%", "promote the canary", "stop v1",
                "routing hears " + old.target() + " stopped"), events);
        assertEquals(new AppState(candidate, old, null), states.current());
        assertEquals(1.0, counted("promoted"));
        assertEquals(0.0, counted("aborted"));
        assertTrue(canary.running().isEmpty(), "no canary runs once it is promoted");
    }

    @Test
    void anAbortedCanaryIsPulledBackAndRemovedAndTheDeployFailsSayingWhy() throws Exception {
        CanaryDeploy canary = canaryDeploy(new CanaryRoutes(fast(200, 40)));
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        DeployException e = assertThrows(DeployException.class,
                () -> canary.bringIn(d, canaryPlan(), candidate, old, DeploySteps.READY, DeploySteps.NOTHING));
        assertTrue(e.getMessage().startsWith("canary aborted: errors worse than the stable version's at 10%"),
                e.getMessage());
        assertEquals(List.of("start v2", "canary v2 at 0%", "canary at 10%", "canary pulled back", "remove v2"), events);
        assertEquals(new AppState(old, null, null), states.current(), "the stable version stays; the candidate is forgotten");
        assertEquals(1.0, counted("aborted"));
        assertEquals(0.0, counted("promoted"));
        assertTrue(d.steps().stream().anyMatch(s -> s.name().equals("canary pulled back")), d.steps().toString());
    }

    @Test
    void aCandidateFailingItsHealthGateNeverBecomesACanaryAndIsNotCountedAsAborted() throws Exception {
        CanaryDeploy canary = canaryDeploy(new CanaryRoutes(io.cutover.proxy.RequestStats.Snapshot.EMPTY));
        health = (target, stopped) -> {
            throw new UnhealthyException(target + " did not pass its health check");
        };
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        assertThrows(UnhealthyException.class,
                () -> canary.bringIn(d, canaryPlan(), candidate, old, DeploySteps.READY, DeploySteps.NOTHING));
        assertEquals(List.of("start v2", "canary pulled back", "remove v2"), events);
        assertEquals(0.0, counted("aborted"), "it never started");
        assertEquals(new AppState(old, null, null), states.current());
    }

    @Test
    void aCanaryIsSteeredOnlyWhileOneRuns() {
        CanaryDeploy canary = canaryDeploy(new CanaryRoutes(io.cutover.proxy.RequestStats.Snapshot.EMPTY));
        io.cutover.control.canary.Steering.NoCanaryException e = assertThrows(
                io.cutover.control.canary.Steering.NoCanaryException.class,
                () -> canary.steer(new io.cutover.control.canary.Steering.Command(
                        io.cutover.control.canary.Steering.Command.Kind.PROMOTE, 100)));
        assertEquals("app shop has no canary running", e.getMessage());
        assertTrue(canary.running().isEmpty());
    }

    @Test
    void aStartedCandidateIsRecordedAsTheCandidateAndEachStepIsTimedByTheTicker() throws Exception {
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        assertEquals(new AppState(old, null, candidate), states.current(), "recorded: a restart removes it");
        assertEquals("candidate started: v2 on green at " + candidate.target(),
                d.steps().get(0).name() + ": " + d.steps().get(0).detail());
        health = (target, stopped) -> {
            now.addAndGet(Duration.ofMillis(40).toNanos());
            return Duration.ofMillis(40);
        };
        assertEquals(Duration.ofMillis(40), steps.awaitHealthy(d, candidate));
        assertEquals(new Deployment.Step("healthy", "after 40 ms", 0, 40), d.steps().get(1));
    }

    @Test
    void whatRunsBeforeTheSwitchRunsOnceTheCandidateIsHealthyAndIfItThrowsTrafficNeverMoves() throws Exception {
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        List<String> seen = new CopyOnWriteArrayList<>();
        Exception e = assertThrows(DeployException.class, () -> steps.bringIn(d, candidate, old,
                () -> steps.discard(d, candidate), () -> {
                    seen.add("before the switch, after " + d.steps().get(d.steps().size() - 1).name());
                    throw new DeployException("the shadow found it worse");
                }, DeploySteps.NOTHING));
        assertEquals("the shadow found it worse", e.getMessage());
        assertEquals(List.of("before the switch, after healthy"), seen);
        assertEquals(List.of("start v2", "remove v2"), events);
        assertEquals(old.target(), routing.active);
    }

    @Test
    void theBakeRunsAfterTheDrainOnTheNewVersionsFiguresSinceTheFlipAndTheOldVersionRetiresOnlyAfterIt()
            throws Exception {
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate), DeploySteps.READY, (dep, sinceFlip) -> {
            events.add("bake: " + sinceFlip.get().requests() + " requests since the flip");
        });
        assertEquals(List.of("start v2", "flip to v2 (recorded)", "drained " + old.target(),
                "bake: 0 requests since the flip", "stop v1", "routing hears " + old.target() + " stopped"), events);
    }

    @Test
    void leftoversOfAnInterruptedDeployAreRemovedAndSaidSoWhenMakingRoom() throws Exception {
        leftovers = List.of("cutover-shop-green-d-v9");
        Deployment d = deployment("v2");
        steps.makeRoom(d, old, null);
        assertEquals(List.of("removed leftover: cutover-shop-green-d-v9"),
                d.steps().stream().map(x -> x.name() + ": " + x.detail()).toList());
    }

    @Test
    void aCanaryIsRunningOnlyWhileItTakesItsSharesAndOneThatFailsMidwayIsCountedAsAbortedAndRemoved() throws Exception {
        List<Boolean> runningAtShare = new CopyOnWriteArrayList<>();
        CanaryDeploy[] canary = new CanaryDeploy[1];
        canary[0] = canaryDeploy(new CanaryRoutes(fast(200, 0)), p -> {
            runningAtShare.add(canary[0].running().isPresent());
            throw new IllegalStateException("the switch refused the share");
        });
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> canary[0].bringIn(d, canaryPlan(), candidate, old, DeploySteps.READY, DeploySteps.NOTHING));
        assertEquals("the switch refused the share", e.getMessage());
        assertEquals(List.of(true), runningAtShare);
        assertTrue(canary[0].running().isEmpty());
        assertEquals(1.0, counted("aborted"), "it had started");
        assertEquals(List.of("start v2", "canary v2 at 0%", "canary at 10%", "canary pulled back", "remove v2"), events);
    }
}
