package io.cutover.control.deploy;

import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a previous version kept running for an instant rollback once its time is up. The time is
 * part of the app's state, so a restart of cutover keeps it; it runs in the deploy line, never
 * beside a deploy; and it stops nothing that is no longer the previous version, or that carries
 * traffic again (an operator switched back to it).
 */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    private final DeployQueue line;
    private final Clock clock;
    private final Supplier<AppState> state;
    private final Predicate<Instance> carriesTraffic;
    private final Consumer<Instance> stop;
    private final Runnable disarm;

    /**
     * @param stop   stops the previous version and forgets its time
     * @param disarm forgets the time without stopping anything
     */
    Reaper(DeployQueue line, Clock clock, Supplier<AppState> state, Predicate<Instance> carriesTraffic,
           Consumer<Instance> stop, Runnable disarm) {
        this.line = line;
        this.clock = clock;
        this.state = state;
        this.carriesTraffic = carriesTraffic;
        this.stop = stop;
        this.disarm = disarm;
    }

    /** Arranges for the state's previous version to stop at its time (if it has one). */
    void watch(AppState s) {
        if (s.previous() != null && s.previousStopsAt() != null) {
            Instance previous = s.previous();
            Instant at = s.previousStopsAt();
            Duration in = Duration.between(clock.instant(), at);
            line.later(() -> reap(previous, at), in.isNegative() ? Duration.ZERO : in);
        }
    }

    private void reap(Instance expected, Instant at) {
        AppState s = state.get();
        if (!expected.sameRun(s.previous()) || !at.equals(s.previousStopsAt())) {
            return;     // a deploy or rollback since has made other arrangements
        }
        if (carriesTraffic.test(s.previous())) {
            log.warn("previous version {} carries traffic again (switched to by hand); it is not stopped",
                    expected.release().describe());
            disarm.run();
            return;
        }
        stop.accept(s.previous());
        log.info("stopped previous version {}, kept running until {}", expected.release().describe(), at);
    }
}
