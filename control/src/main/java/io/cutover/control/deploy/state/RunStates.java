package io.cutover.control.deploy.state;

import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Instance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    public static final String RUNNING = "running";

    private final AppRuntime runtime;
    /** Per version, what the runtime last said of each replica ("running", or why not). */
    private final Map<Instance, List<String>> lastSeen = new ConcurrentHashMap<>();
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
            // the candidate too: a deploy records it running before its state makes it active
            lastSeen.keySet().removeIf(i -> !i.equals(s.active()) && !i.equals(s.previous()) && !i.equals(s.candidate()));
            checkQuietly(s.active());
            checkQuietly(s.previous());
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void checkQuietly(Instance i) {
        try {
            check(i);
        } catch (RuntimeException e) {
            log.warn("cannot tell whether {} runs: {}", i.release().describe(), e.toString());
            lastSeen.put(i, java.util.Collections.nCopies(i.count(), "unknown (" + e.getMessage() + ")"));
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
        List<String> each = new ArrayList<>();
        Optional<String> down = Optional.empty();
        for (int k = 0; k < i.count(); k++) {
            Optional<String> why = runtime.notRunning(i, k);
            each.add(why.orElse(RUNNING));
            if (why.isPresent() && down.isEmpty()) {
                down = Optional.of(i.count() == 1 ? why.get() : i.describe(k) + " " + why.get());
            }
        }
        lastSeen.put(i, List.copyOf(each));
        return down;
    }

    /**
     * "running", or why not, as last seen; never asks the runtime. With several replicas:
     * "running" when all run, else how many run and why the first that does not.
     */
    public String describe(Instance i) {
        if (i == null) {
            return null;
        }
        List<String> each = lastSeen.get(i);
        if (each == null) {
            return UNKNOWN;
        }
        long running = each.stream().filter(RUNNING::equals).count();
        if (running == each.size()) {
            return RUNNING;
        }
        for (int k = 0; k < each.size(); k++) {
            if (!RUNNING.equals(each.get(k))) {
                return each.size() == 1 ? each.get(k)
                        : running + " of " + each.size() + " replicas running; " + i.describe(k) + " " + each.get(k);
            }
        }
        return RUNNING;
    }

    /** Replica {@code k} of {@code i}: "running", or why not, as last seen; never asks the runtime. */
    public String describe(Instance i, int k) {
        List<String> each = lastSeen.get(i);
        return each == null || k >= each.size() ? UNKNOWN : each.get(k);
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
