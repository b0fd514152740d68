package io.cutover.control.deploy.state;

import io.cutover.control.deploy.runtime.Instance;

import java.time.Instant;

/**
 * What cutover must remember across restarts: the version taking traffic, the one before it
 * (for rollback), a candidate being deployed (so a restart can remove it if the deploy died),
 * when the previous version, kept running for an instant rollback, is to be stopped, and traffic
 * control: maintenance (its page) and a pause (its settings) while they are on.
 */
public record AppState(Instance active, Instance previous, Instance candidate, Instant previousStopsAt,
                       Maintenance maintenance, Paused paused) {
    public static final AppState EMPTY = new AppState(null, null, null, null, null, null);

    /** Maintenance mode as saved: the page shown, and what Retry-After says. */
    public record Maintenance(String page, long retryAfterSeconds) {
    }

    /** A pause as saved: how long a request may be held, and how many at most. */
    public record Paused(long timeoutMillis, int maxHeld) {
    }

    public AppState(Instance active, Instance previous, Instance candidate, Instant previousStopsAt) {
        this(active, previous, candidate, previousStopsAt, null, null);
    }

    public AppState(Instance active, Instance previous, Instance candidate) {
        this(active, previous, candidate, null, null, null);
    }

    public AppState withMaintenance(Maintenance m) {
        return new AppState(active, previous, candidate, previousStopsAt, m, paused);
    }

    public AppState withPaused(Paused p) {
        return new AppState(active, previous, candidate, previousStopsAt, maintenance, p);
    }

    /** This state, with traffic control (maintenance, pause) as {@code from} has it. */
    AppState withTrafficOf(AppState from) {
        return new AppState(active, previous, candidate, previousStopsAt, from.maintenance, from.paused);
    }

    public AppState withCandidate(Instance c) {
        return new AppState(active, previous, c, previousStopsAt, maintenance, paused);
    }

    public AppState withPrevious(Instance p) {
        return new AppState(active, p, candidate, previousStopsAt, maintenance, paused);
    }

    public AppState withPreviousStopsAt(Instant at) {
        return new AppState(active, previous, candidate, at, maintenance, paused);
    }
}
