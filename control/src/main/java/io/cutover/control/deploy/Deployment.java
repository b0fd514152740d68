package io.cutover.control.deploy;

import io.cutover.control.canary.StepLog;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.proxy.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One deploy or rollback: what it runs, where it is, a timeline of its steps with timings, and
 * warnings: what went wrong without failing it (steps after the flip, when traffic had moved; a
 * warm-up's failed requests).
 */
public final class Deployment implements StepLog {
    public enum Kind { DEPLOY, ROLLBACK }

    public enum State { QUEUED, RUNNING, SUCCEEDED, FAILED }

    /**
     * @param atMs   when the step ended, in ms since the deployment was accepted
     * @param tookMs how long the step itself took
     */
    public record Step(String name, String detail, long atMs, long tookMs) {
    }

    private final String id;
    private final Kind kind;
    private final Release release;
    private final Instant accepted;
    private final Ticker ticker;
    private final long start;
    private final List<Step> steps = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private volatile State state = State.QUEUED;
    private volatile String error;

    Deployment(String id, Kind kind, Release release, Instant accepted, Ticker ticker) {
        this.id = id;
        this.kind = kind;
        this.release = release;
        this.accepted = accepted;
        this.ticker = ticker;
        this.start = ticker.nanos();
    }

    public String id() {
        return id;
    }

    public Kind kind() {
        return kind;
    }

    /** Null for a rollback (it brings back whatever was previous). */
    public Release release() {
        return release;
    }

    public Instant accepted() {
        return accepted;
    }

    public State state() {
        return state;
    }

    public String error() {
        return error;
    }

    public List<Step> steps() {
        return List.copyOf(steps);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    public boolean done() {
        return state == State.SUCCEEDED || state == State.FAILED;
    }

    /** How long since it was accepted, or how long it took once done. */
    public Duration elapsed() {
        return Duration.ofMillis(steps.isEmpty() ? 0 : steps.get(steps.size() - 1).atMs());
    }

    @Override
    public void step(String name, String detail, Duration took) {
        steps.add(new Step(name, detail, Duration.ofNanos(ticker.nanos() - start).toMillis(), took.toMillis()));
    }

    void warn(String warning) {
        warnings.add(warning);
    }

    void running() {
        state = State.RUNNING;
    }

    void succeeded() {
        state = State.SUCCEEDED;
    }

    void failed(String reason) {
        error = reason;
        state = State.FAILED;
    }

    String describe() {
        String what = kind == Kind.ROLLBACK ? "rollback" : "deploy of " + release.describe();
        return kind.name().toLowerCase(Locale.ROOT) + " " + id + " (" + what + ")";
    }
}
