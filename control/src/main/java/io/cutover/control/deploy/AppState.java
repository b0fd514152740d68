package io.cutover.control.deploy;

import java.time.Instant;

/**
 * What cutover must remember across restarts: the version taking traffic, the one before it
 * (for rollback), a candidate being deployed (so a restart can remove it if the deploy died),
 * when the previous version, kept running for an instant rollback, is to be stopped, and the
 * maintenance page while maintenance is on.
 */
public record AppState(Instance active, Instance previous, Instance candidate, Instant previousStopsAt,
                       Maintenance maintenance) {
    public static final AppState EMPTY = new AppState(null, null, null, null, null);

    /** Maintenance mode as saved: the page shown, and what Retry-After says. */
    public record Maintenance(String page, long retryAfterSeconds) {
    }

    public AppState(Instance active, Instance previous, Instance candidate, Instant previousStopsAt) {
        this(active, previous, candidate, previousStopsAt, null);
    }

    public AppState(Instance active, Instance previous, Instance candidate) {
        this(active, previous, candidate, null, null);
    }

    public AppState withMaintenance(Maintenance m) {
        return new AppState(active, previous, candidate, previousStopsAt, m);
    }

    public AppState withCandidate(Instance c) {
        return new AppState(active, previous, c, previousStopsAt, maintenance);
    }

    public AppState withPrevious(Instance p) {
        return new AppState(active, p, candidate, previousStopsAt, maintenance);
    }

    public AppState withPreviousStopsAt(Instant at) {
        return new AppState(active, previous, candidate, at, maintenance);
    }
}
