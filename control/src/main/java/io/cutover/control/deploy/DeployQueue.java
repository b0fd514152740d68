package io.cutover.control.deploy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys and rollbacks, one at a time, in the order they came, on one thread of their own (it
 * may block on Docker, processes, files). A deployment waits its turn for at most its lock-wait,
 * then fails naming the one it waited for; one that must not wait is refused at once if another
 * runs or waits. At most {@link #MAX_WAITING} may wait. The history keeps the last
 * {@link #REMEMBERED} finished ones, and every one still waiting or running. Housekeeping (the
 * reaper's stop of a version kept running) goes through the same line, so it never runs beside a deploy.
 */
public final class DeployQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeployQueue.class);
    static final int MAX_WAITING = 16;
    static final int REMEMBERED = 100;

    /** A deployment's work; it may throw whatever went wrong. */
    interface Flow {
        void run(Deployment d) throws Exception;
    }

    /**
     * What is done once a deployment's outcome is known, before the deployment shows it: a client
     * that sees it done finds it counted and told.
     */
    interface Finished {
        /** @param error why it failed; null: it succeeded */
        void finished(String error);
    }

    /** Another deploy holds the line, or too many wait. */
    public static final class BusyException extends Exception {
        public BusyException(String message) {
            super(message);
        }
    }

    private final ScheduledExecutorService worker;
    /** Gives up on those waiting too long: not the worker, which is busy with the one they wait for. */
    private final ScheduledExecutorService timer;
    private final Map<String, Deployment> history = new LinkedHashMap<>();
    private final int remembered;
    private Deployment running;
    private int waiting;
    /**
     * Those that gave up waiting before their turn came: not waiting any more, never ahead of
     * another, and the worker skips them. Forgotten with the history.
     */
    private final java.util.Set<Deployment> gaveUp = new java.util.HashSet<>();
    /** Set while a reload replaces the app: nothing is taken in. */
    private String suspendedFor;

    /**
     * @param worker runs the deployments, one thread (it may block); shut down on {@link #close}
     * @param timer  gives up on those waiting too long, one thread; shut down on {@link #close}
     */
    public DeployQueue(ScheduledExecutorService worker, ScheduledExecutorService timer) {
        this(worker, timer, REMEMBERED);
    }

    /** A queue that remembers {@code remembered} finished deployments (a test's small history). */
    DeployQueue(ScheduledExecutorService worker, ScheduledExecutorService timer, int remembered) {
        this.worker = worker;
        this.timer = timer;
        this.remembered = remembered;
    }

    /**
     * Takes a deployment in; it runs once those before it are done.
     *
     * @param lockWait how long it may wait for its turn; null: it must not wait
     */
    synchronized void submit(Deployment d, Duration lockWait, Flow flow, Finished finished) throws BusyException {
        if (suspendedFor != null) {
            throw new BusyException(suspendedFor);
        }
        Optional<Deployment> ahead = ahead();
        if (ahead.isPresent() && lockWait == null) {
            throw new BusyException(ahead.get().describe() + " holds the deploy lock");
        }
        if (waiting >= MAX_WAITING) {
            throw new BusyException(waiting + " deploys are waiting already; try again once they are done");
        }
        remember(d);
        waiting++;
        ahead.ifPresent(a -> d.step("queued", "waiting for " + a.describe(), Duration.ZERO));
        if (lockWait != null && ahead.isPresent()) {
            timer.schedule(() -> giveUp(d, lockWait, finished), lockWait.toNanos(), TimeUnit.NANOSECONDS);
        }
        worker.execute(() -> run(d, flow, finished));
    }

    /** Runs housekeeping in the line, after whatever is queued now. */
    void later(Runnable task, Duration delay) {
        worker.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void giveUp(Deployment d, Duration lockWait, Finished finished) {
        String reason;
        synchronized (this) {
            if (d.state() != Deployment.State.QUEUED || !gaveUp.add(d)) {
                return;
            }
            waiting--;
            String holder = running != null ? running.describe() : "another deploy";
            reason = "gave up after " + (lockWait.toSeconds() < 10 ? lockWait.toMillis() + " ms" : lockWait.toSeconds()
                    + " s") + " waiting for " + holder + " (cutover.app.lock-wait)";
        }
        end(d, reason, finished);
    }

    private void run(Deployment d, Flow flow, Finished finished) {
        synchronized (this) {
            if (gaveUp.contains(d) || d.done()) {
                return;     // told and failed by giveUp (and maybe forgotten since)
            }
            waiting--;
            running = d;
            d.running();
        }
        String error = null;
        try {
            log.info("{} started", d.describe());
            flow.run(d);
        } catch (Exception e) {
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        } catch (Error e) {
            error = e.toString();       // ended all the same, then thrown on
            throw e;
        } finally {
            synchronized (this) {
                running = null;
            }
            end(d, error, finished);
        }
    }

    /** The bookkeeping first, then the outcome shows (whatever the bookkeeping did). */
    private static void end(Deployment d, String error, Finished finished) {
        try {
            finished.finished(error);
        } catch (RuntimeException e) {
            log.warn("{}: its outcome could not be counted or told", d.describe(), e);
        } finally {
            if (error == null) {
                d.succeeded();
                log.info("{} succeeded in {} ms{}", d.describe(), d.elapsed().toMillis(),
                        d.warnings().isEmpty() ? "" : " with warnings: " + d.warnings());
            } else {
                d.failed(error);
                log.warn("{} failed: {}", d.describe(), error);
            }
        }
    }

    private synchronized Optional<Deployment> ahead() {
        if (running != null) {
            return Optional.of(running);
        }
        return history.values().stream().filter(x -> x.state() == Deployment.State.QUEUED && !gaveUp.contains(x))
                .reduce((a, b) -> b);
    }

    private void remember(Deployment d) {
        history.put(d.id(), d);
        if (history.size() > remembered) {
            history.values().stream().filter(Deployment::done).findFirst().ifPresent(old -> {
                history.remove(old.id());
                gaveUp.remove(old);
            });
        }
    }

    synchronized Optional<Deployment> find(String id) {
        return Optional.ofNullable(history.get(id));
    }

    /** A short id no remembered deployment has (not a secret: no SecureRandom, which may block). */
    synchronized String newId() {
        String id;
        do {
            id = String.format("%08x", java.util.concurrent.ThreadLocalRandom.current().nextInt());
        } while (history.containsKey(id));
        return id;
    }

    /**
     * Takes nothing in from now on, if nothing runs or waits; then new deployments are refused
     * with {@code why}.
     *
     * @return false (and nothing changed) when a deployment runs or waits
     */
    synchronized boolean suspendIfIdle(String why) {
        if (ahead().isPresent()) {
            return false;
        }
        suspendedFor = why;
        return true;
    }

    /** Takes deployments in again. */
    synchronized void unsuspend() {
        suspendedFor = null;
    }

    /** The deployment running now, if any. */
    synchronized Optional<Deployment> running() {
        return Optional.ofNullable(running);
    }

    @Override
    public void close() {
        worker.shutdownNow();
        timer.shutdownNow();
    }
}
