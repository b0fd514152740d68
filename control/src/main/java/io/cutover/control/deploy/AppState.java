package io.cutover.control.deploy;

/**
 * What cutover must remember across restarts: the version taking traffic, the one before it
 * (for rollback), and a candidate being deployed (so a restart can remove it if the deploy died).
 */
public record AppState(Instance active, Instance previous, Instance candidate) {
    public static final AppState EMPTY = new AppState(null, null, null);

    public AppState withCandidate(Instance c) {
        return new AppState(active, previous, c);
    }

    public AppState withPrevious(Instance p) {
        return new AppState(active, p, candidate);
    }
}
