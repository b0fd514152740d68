package io.cutover.control.deploy;

import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.health.HealthCheck;
import io.cutover.control.switching.SwitchService;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.Replica;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health of the replicas that take the app's requests (the active version's, a
 * canary's), when a version has several: every {@link #INTERVAL}, each replica's process or
 * container is asked whether it runs and its health path is probed. A replica that is not running
 * (its process exited, its container stopped) is marked down at once with that reason; one that
 * fails {@link #FAILS_TO_DOWN} probes in a row is marked down with what the last one saw; the
 * proxy then sends it nothing ({@link Replica#markDown}). A replica marked down that runs and
 * passes a probe again is marked up. It also keeps the replicas' gauges ({@code
 * cutover_replica_up}, {@code cutover_replica_in_flight}) in step with the versions live.
 *
 * <p>It runs on the app's watcher thread, which may block (the runtime, waiting for a probe);
 * the probes themselves run on the control loop.
 */
final class ReplicaWatch {
    private static final Logger log = LoggerFactory.getLogger(ReplicaWatch.class);
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final int FAILS_TO_DOWN = 2;

    private final String app;
    private final Supplier<AppState> state;
    private final RunStates runStates;
    private final SwitchService switches;
    private final HealthCheck health;
    /** Failed probes in a row, per replica watched now. */
    private final Map<Replica, Integer> failures = new ConcurrentHashMap<>();
    private final MultiGauge up;
    private final MultiGauge inFlight;

    ReplicaWatch(String app, Supplier<AppState> state, RunStates runStates, SwitchService switches, HealthCheck health,
                 MeterRegistry meters) {
        this.app = app;
        this.state = state;
        this.runStates = runStates;
        this.switches = switches;
        this.health = health;
        this.up = MultiGauge.builder("cutover.replica.up")
                .description("1 while a replica of a live version takes requests, 0 while it is down")
                .register(meters);
        this.inFlight = MultiGauge.builder("cutover.replica.in.flight")
                .description("Requests in flight on a replica of a live version").register(meters);
    }

    /** Watches every {@link #INTERVAL} on {@code watcher} (one thread, which may block). */
    void start(ScheduledExecutorService watcher) {
        watcher.scheduleWithFixedDelay(() -> {
            try {
                check();
            } catch (RuntimeException e) {
                log.warn("app={} cannot check its replicas: {}", app, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One round: each live version's replicas checked, marked down or up, and the gauges set. */
    void check() throws InterruptedException {
        List<Backend> live = new ArrayList<>();
        Backend active = switches.active();
        if (active != null) {
            live.add(active);
        }
        Canary canary = switches.canary();
        if (canary != null) {
            live.add(canary.backend());
        }
        List<MultiGauge.Row<?>> upRows = new ArrayList<>();
        List<MultiGauge.Row<?>> inFlightRows = new ArrayList<>();
        List<Replica> watched = new ArrayList<>();
        for (Backend b : live) {
            List<Replica> replicas = b.replicas();
            for (int k = 0; k < replicas.size(); k++) {
                Replica r = replicas.get(k);
                Tags tags = Tags.of("app", app, "version", b.version(), "replica", Integer.toString(k + 1),
                        "target", r.target().toString());
                upRows.add(MultiGauge.Row.of(tags, r, x -> x.up() ? 1 : 0));
                inFlightRows.add(MultiGauge.Row.of(tags, r, Replica::inFlight));
            }
            if (replicas.size() > 1) {
                watched.addAll(replicas);
                check(b, instanceAt(b));
            }
        }
        failures.keySet().retainAll(watched);
        up.register(upRows, true);
        inFlight.register(inFlightRows, true);
    }

    /** The recorded version a backend routes to (by its first replica), if any. */
    private Instance instanceAt(Backend b) {
        AppState s = state.get();
        for (Instance i : Instance.present(s.active(), s.candidate(), s.previous())) {
            if (i.target().equals(b.target()) && i.count() == b.replicas().size()) {
                return i;
            }
        }
        return null;
    }

    private void check(Backend b, Instance version) throws InterruptedException {
        List<Replica> replicas = b.replicas();
        if (version != null) {
            runStates.check(version);   // asks the runtime about each replica (may block: this is the watcher)
        }
        List<CompletableFuture<String>> probes = new ArrayList<>();
        for (Replica r : replicas) {
            probes.add(health.problem(r.target(), r.address()));
        }
        for (int k = 0; k < replicas.size(); k++) {
            Replica r = replicas.get(k);
            String running = version == null ? RunStates.RUNNING : runStates.describe(version, k);
            if (!RunStates.RUNNING.equals(running) && !running.startsWith("not checked")) {
                down(b, r, running);
                continue;
            }
            Optional<String> problem = await(probes.get(k));
            if (problem.isEmpty()) {
                failures.remove(r);
                if (!r.up()) {
                    r.markUp();
                    log.info("app={} replica {} of {} ({}) is up again: it passed its health check", app, k + 1,
                            b.version(), r.target());
                }
            } else if (failures.merge(r, 1, Integer::sum) >= FAILS_TO_DOWN) {
                down(b, r, "failed its health check " + problem.get());
            }
        }
    }

    private void down(Backend b, Replica r, String why) {
        if (r.up() || !why.equals(r.downReason())) {
            r.markDown(why);
            log.warn("app={} replica {} of {} is down: {}", app, r.target(), b.version(), why);
        }
    }

    /** What a probe saw, waited for (bounded: a probe ends by its own timeout). */
    private Optional<String> await(CompletableFuture<String> probe) throws InterruptedException {
        try {
            return Optional.ofNullable(probe.get(health.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            return Optional.of(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            return Optional.of("no answer within " + health.timeout().toMillis() + " ms");
        }
    }

    /** Its gauges go (the app is closed or reloaded). */
    void close() {
        up.register(List.of(), true);
        inFlight.register(List.of(), true);
    }
}
