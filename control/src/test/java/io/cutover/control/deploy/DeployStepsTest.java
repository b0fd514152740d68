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
            return instance;
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
            return List.of();
        }

        @Override
        public String kind() {
            return "fake";
        }
    }

    /** Routing to one target at a time; a flip's drain says when it is waited for. */
    private final class Routes implements Routing {
        volatile Target active;
        /** An operator switches back to the old version as soon as a flip is done. */
        volatile boolean switchedBackAfterTheFlip;

        @Override
        public Flip flip(Target target, String version, Duration healthWait) {
            Target was = active;
            events.add("flip to " + version + (states.current().active().target().equals(target) ? " (recorded)" : ""));
            active = switchedBackAfterTheFlip ? was : target;
            CompletableFuture<DrainResult> drain = new CompletableFuture<>() {
                @Override
                public DrainResult join() {
                    events.add("drained " + was);
                    return new DrainResult(was, 2, 2, 0, Duration.ofMillis(3));
                }
            };
            return new Flip(was, drain);
        }

        @Override
        public Flip promoteCanary(Duration healthWait) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean routesTo(Target target) {
            return target.equals(active);
        }

        @Override
        public void stopped(Target target) {
        }

        @Override
        public java.util.function.Supplier<io.cutover.proxy.RequestStats.Snapshot> activeFigures() {
            return () -> io.cutover.proxy.RequestStats.Snapshot.EMPTY;
        }
    }

    private static AppSettings app() {
        return new AppSettings("shop", AppSettings.Runtime.PROCESS, PORTS, null, List.of("app"), Map.of(), List.of(),
                null, 0, AppSettings.Pull.NEVER, null, Duration.ofSeconds(10), AppSettings.KeepPrevious.STOPPED,
                Duration.ofMinutes(5), 20, Duration.ofSeconds(10), null, Duration.ZERO, WarmUpSettings.OFF,
                io.cutover.control.config.HookSettings.NONE);
    }

    private static Release release(String version) {
        return new Release(null, List.of(version), Map.of());
    }

    private static Deployment deployment(String version) {
        return new Deployment("d-" + version, Deployment.Kind.DEPLOY, release(version), Instant.EPOCH, () -> 0);
    }

    @BeforeEach
    void serveTheOldVersion() {
        states = new StateKeeper(new StateStore(dir.resolve("shop.json"), "shop", PORTS, Json.mapper()));
        RunStates runStates = new RunStates(runtime, watcher);
        steps = new DeploySteps(app(), new DeploySteps.Parts(runtime, routing, (t, s) -> health.await(t, s), states,
                runStates, (t, plan) -> {
                    throw new AssertionError("no warm-up here");
                }), s -> { }, new SimpleMeterRegistry().counter("warnings"),
                Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), () -> 0);
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
        assertEquals(old.target(), routing.active);
        assertEquals(new AppState(old, null, null), states.current(), "the candidate is forgotten; v1 stays active");
    }

    @Test
    void aHealthyCandidateIsRecordedBeforeTheFlipAndTheOldVersionStopsOnlyAfterItsDrain() throws Exception {
        Deployment d = deployment("v2");
        Instance candidate = steps.startCandidate(d, Colour.GREEN, 1);
        steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate));
        assertEquals(List.of("start v2", "flip to v2 (recorded)", "drained " + old.target(), "stop v1"), events);
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
}
