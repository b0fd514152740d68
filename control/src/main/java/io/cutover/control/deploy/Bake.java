package io.cutover.control.deploy;

import io.cutover.control.canary.BakeAnalysis;
import io.cutover.control.canary.BakeWindow;
import io.cutover.control.canary.StepLog;
import io.cutover.control.canary.Window;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A bake, top-down: after a deploy's flip, the new version takes every request while the previous
 * one stays running; after each window the new version's figures since the flip are judged
 * against the previous version's baseline ({@link BakeAnalysis}). The error test at its abort
 * bound, or {@code failure-limit} latency failures in a row, end it at once: the caller flips
 * back. When its time is up with neither, it has passed (an inconclusive end passes: nothing
 * showed the new version worse). A rollback asked for by hand ends it too ({@link #endByHand}).
 * Runs on the deploy's thread; its time is the ticker's.
 */
public final class Bake {
    /** How a bake ended. */
    enum End { PASSED, WORSE, BY_HAND }

    /** How it ended, why, and after how long (from the flip). */
    record Outcome(End end, String why, Duration after) {
        String seconds() {
            return after.toSeconds() + " s";
        }
    }

    private final Duration length;
    private final Duration window;
    private final BakeAnalysis analysis;
    private final Ticker ticker;
    private final Target target;
    private final Target previous;
    private final LinkedBlockingQueue<String> ends = new LinkedBlockingQueue<>();
    private final List<BakeWindow> windows = new CopyOnWriteArrayList<>();
    private volatile long started;

    /**
     * @param window   how long each window lasts (the last one ends with the bake)
     * @param target   where the new version runs
     * @param previous where the previous version runs, warm
     */
    Bake(Duration length, Duration window, BakeAnalysis analysis, Ticker ticker, Target target, Target previous) {
        this.length = length;
        this.window = window;
        this.analysis = analysis;
        this.ticker = ticker;
        this.target = target;
        this.previous = previous;
        this.started = ticker.nanos();
    }

    /**
     * Bakes until the time is up, the new version is found worse, or it is ended by hand.
     *
     * @param baseline  the previous version's figures before the flip
     * @param sinceFlip the new version's figures since the flip, as they grow
     */
    Outcome run(StepLog d, RequestStats.Snapshot baseline, Supplier<RequestStats.Snapshot> sinceFlip)
            throws InterruptedException {
        started = ticker.nanos();
        int failures = 0;
        BakeWindow last = null;
        while (true) {
            long left = length.toNanos() - (ticker.nanos() - started);
            if (left <= 0) {
                return new Outcome(End.PASSED, last == null ? "no window was judged"
                        : (last.verdict() == Window.Verdict.PASSED ? "" : "inconclusive at the end, which passes: ")
                        + last.why(), elapsed());
            }
            String byHand = ends.poll(Math.min(window.toNanos(), left), TimeUnit.NANOSECONDS);
            if (byHand != null) {
                return new Outcome(End.BY_HAND, byHand, elapsed());
            }
            BakeWindow w = analysis.judge(elapsed().toMillis(), baseline, sinceFlip.get());
            windows.add(w);
            last = w;
            d.step("bake window", w.describe(), Duration.ZERO);
            if (w.verdict() == Window.Verdict.ABORTED) {
                return new Outcome(End.WORSE, w.why() + "; new version " + w.now() + "; before the flip " + w.before(),
                        elapsed());
            }
            if (w.verdict() == Window.Verdict.FAILED && ++failures >= analysis.failureLimit()) {
                return new Outcome(End.WORSE, failures + " windows in a row failed on latency: " + w.why()
                        + "; new version " + w.now() + "; before the flip " + w.before(), elapsed());
            }
            if (w.verdict() == Window.Verdict.PASSED) {
                failures = 0;
            }
        }
    }

    /** Ends the bake at its next look, as {@code why} says (a rollback asked for by hand). */
    void endByHand(String why) {
        ends.add(why);
    }

    /** How long since the flip. */
    public Duration elapsed() {
        return Duration.ofNanos(ticker.nanos() - started);
    }

    public Duration length() {
        return length;
    }

    /** Where the new version runs. */
    public Target target() {
        return target;
    }

    /** Where the previous version runs, warm, to flip back to. */
    public Target previous() {
        return previous;
    }

    /** Every window so far, oldest first. */
    public List<BakeWindow> windows() {
        return List.copyOf(windows);
    }
}
