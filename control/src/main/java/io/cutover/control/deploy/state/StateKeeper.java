package io.cutover.control.deploy.state;

import java.io.UncheckedIOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app's state as deploys last recorded it: read by anyone at any time (status, the reaper),
 * changed only by {@link #record}, which saves it first. A save the disk refuses is tried again a
 * little later (a full disk being cleaned, a transient error); the state in memory changes only
 * once the file holds it, so memory and disk never disagree.
 */
public final class StateKeeper {
    private static final Logger log = LoggerFactory.getLogger(StateKeeper.class);
    static final int SAVE_ATTEMPTS = 3;

    /** Waits between two attempts (a test waits no time). */
    interface Pause {
        void pause(Duration d) throws InterruptedException;
    }

    private final StateStore store;
    private final Pause pause;
    private volatile AppState state = AppState.EMPTY;

    public StateKeeper(StateStore store) {
        this(store, d -> Thread.sleep(d.toMillis()));
    }

    public StateKeeper(StateStore store, Pause pause) {
        this.store = store;
        this.pause = pause;
    }

    public AppState current() {
        return state;
    }

    /** Loads the saved state (start-up). */
    public AppState load() {
        state = store.load();
        return state;
    }

    /**
     * Saves {@code next} and makes it the current state. Traffic control (maintenance, a pause)
     * is not the deploys' to change: it is carried over from the current state (see
     * {@link #recordMaintenance}, {@link #recordPaused}).
     *
     * @throws UncheckedIOException when the last attempt failed too (the current state is unchanged)
     */
    public synchronized void record(AppState next) {
        save(next.withTrafficOf(state));
    }

    /** Saves maintenance on ({@code m}) or off (null), keeping the rest. */
    public synchronized void recordMaintenance(AppState.Maintenance m) {
        save(state.withMaintenance(m));
    }

    /** Saves a pause on ({@code p}) or off (null), keeping the rest. */
    public synchronized void recordPaused(AppState.Paused p) {
        save(state.withPaused(p));
    }

    private void save(AppState next) {
        for (int attempt = 1; ; attempt++) {
            try {
                store.save(next);
                state = next;
                return;
            } catch (UncheckedIOException e) {
                if (attempt == SAVE_ATTEMPTS) {
                    throw e;
                }
                log.warn("{}; trying again", e.getMessage());
                try {
                    pause.pause(Duration.ofMillis(100L * attempt));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
