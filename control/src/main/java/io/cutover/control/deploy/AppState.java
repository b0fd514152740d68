package io.cutover.control.deploy;

import java.time.Instant;

/**
 * What cutover must remember across restarts: the version taking traffic, the one before it
 * (for rollback), a candidate being deployed (so a restart can remove it if the deploy died),
 * and when the previous version, kept running for an instant rollback, is to be stopped.
 */
public record AppState(Instance active, Instance previous, Instance candidate, Instant previousStopsAt) {
    public static final AppState EMPTY = new AppState(null, null, null, null);

    public AppState(Instance active, Instance previous, Instance candidate) {
        this(active, previous, candidate, null);
    }

    public AppState withCandidate(Instance c) {
        return new AppState(active, previous, c, previousStopsAt);
    }

    public AppState withPrevious(Instance p) {
        return new AppState(active, p, candidate, previousStopsAt);
    }

    public AppState withPreviousStopsAt(Instant at) {
        return new AppState(active, previous, candidate, at);
    }
}
