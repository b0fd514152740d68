package io.cutover.control.deploy.state;

import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Instance;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether each version of the app runs, as the runtime last said, so that {@code GET /v1/status}
 * answers from memory and never waits on Docker or /proc (a hung Docker engine stalls only this
 * watcher's thread). The active and previous versions are asked again every few seconds, and a
 * deploy asks again right after it starts or stops one.
 */
public final class RunStates implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunStates.class);
    static final String UNKNOWN = "not checked yet";

    private final AppRuntime runtime;
    private final Map<Instance, String> lastSeen = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watcher;

    /** @param watcher asks the runtime every few seconds, one thread (it may block); shut down on {@link #close} */
    public RunStates(AppRuntime runtime, ScheduledExecutorService watcher) {
        this.runtime = runtime;
        this.watcher = watcher;
    }

    /** Asks the runtime about the app's current versions every {@code interval}, on its own thread. */
    public void watch(Supplier<AppState> state, Duration interval) {
        watcher.scheduleWithFixedDelay(() -> {
            AppState s = state.get();
            lastSeen.keySet().removeIf(i -> !i.equals(s.active()) && !i.equals(s.previous()));
            checkQuietly(s.active());
            checkQuietly(s.previous());
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void checkQuietly(Instance i) {
        try {
            check(i);
        } catch (RuntimeException e) {
            log.warn("cannot tell whether {} runs: {}", i.release().describe(), e.toString());
            lastSeen.put(i, "unknown (" + e.getMessage() + ")");
        }
    }

    /**
     * Asks the runtime now, on the calling thread (which may block), and remembers the answer.
     *
     * @return why it is not running, or empty while it runs
     */
    public Optional<String> check(Instance i) {
        if (i == null) {
            return Optional.empty();
        }
        Optional<String> down = runtime.notRunning(i);
        lastSeen.put(i, down.orElse("running"));
        return down;
    }

    /** "running", or why not, as last seen; never asks the runtime. */
    public String describe(Instance i) {
        return i == null ? null : lastSeen.getOrDefault(i, UNKNOWN);
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
