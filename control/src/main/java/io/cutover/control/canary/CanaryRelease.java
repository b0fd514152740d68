package io.cutover.control.canary;

import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A canary release, top-down: the candidate (healthy already) takes each share of the app's
 * requests in turn; each share is held until a window passes. After each window the canary is
 * judged on all its windows so far, pooled ({@link CanaryAnalysis}): the error test aborts it at
 * once; a latency failure counts, and {@code failure-limit} of them in a row abort; inconclusive
 * windows (not enough evidence yet) hold the share, up to the progress deadline. At 100% the
 * caller promotes; on an abort it pulls the canary back ({@link #pullBack}). Runs on the deploy's
 * thread.
 */
public final class CanaryRelease {
    /** How it ended: promote (by plan or by hand) or abort, and why. */
    public record Outcome(boolean promote, String why) {
    }

    private final CanaryRouting routing;
    private final CanarySettings plan;
    private final Steering steering;
    private final Ticker ticker;
    private final CanaryAnalysis analysis;
    private final java.nio.file.Path keyFile;
    private final List<Window> windows = new CopyOnWriteArrayList<>();
    private volatile int share;
    private volatile Target target;

    /** @param keyFile where the app's canary cookie key is kept ({@link CanaryKey}) */
    public CanaryRelease(CanaryRouting routing, CanarySettings plan, Steering steering, Ticker ticker,
                         java.nio.file.Path keyFile) {
        this.keyFile = keyFile;
        this.routing = routing;
        this.plan = plan;
        this.steering = steering;
        this.ticker = ticker;
        this.analysis = new CanaryAnalysis(plan);
    }

    /**
     * Runs the canary of the healthy {@code candidate} until it is to be promoted or it aborts;
     * the caller then promotes it, or {@link #pullBack pulls it back} (as after anything thrown).
     */
    public Outcome run(StepLog d, Target candidate, String version) throws InterruptedException {
        target = candidate;
        routing.start(candidate, version, plan.allow(), CanaryKey.load(keyFile));
        steering.running(true);
        try {
            return steps(d);
        } finally {
            steering.running(false);
        }
    }

    /**
     * Pulls the canary back, if it got as far as taking requests: share 0 in one flip, and its
     * requests finish (its drain is waited for).
     */
    public void pullBack(StepLog d) {
        DrainResult drained = routing.pullBack().join();
        if (drained != null) {
            d.step("canary pulled back", "every request to the stable version; " + drained.completed()
                    + " canary requests finished in " + drained.took().toMillis() + " ms"
                    + (drained.forced() > 0 ? ", " + drained.forced() + " cut" : ""), drained.took());
        }
    }

    private Outcome steps(StepLog d) throws InterruptedException {
        int next = 0;
        int failures = 0;
        RequestStats.Snapshot stablePooled = RequestStats.Snapshot.EMPTY;
        RequestStats.Snapshot canaryPooled = RequestStats.Snapshot.EMPTY;
        while (true) {
            int step = plan.steps().get(next);
            if (step >= 100) {
                return new Outcome(true, "all steps passed");
            }
            setShare(d, step);
            long since = ticker.nanos();
            while (true) {
                RequestStats.Snapshot s0 = routing.stable();
                RequestStats.Snapshot c0 = routing.canary();
                Steering.Command command = steering.next(plan.interval());
                if (command != null) {
                    switch (command.kind()) {
                        case PROMOTE -> {
                            return new Outcome(true, "promoted by hand at " + share + "%");
                        }
                        case ABORT -> {
                            return new Outcome(false, "aborted by hand at " + share + "%");
                        }
                        case SET -> {
                            if (command.percent() >= 100) {
                                return new Outcome(true, "set to 100% by hand");
                            }
                            setShare(d, command.percent());
                            next = firstStepAbove(command.percent());
                            failures = 0;
                            since = ticker.nanos();
                            continue;
                        }
                    }
                }
                stablePooled = plus(stablePooled, routing.stable().minus(s0));
                canaryPooled = plus(canaryPooled, routing.canary().minus(c0));
                Window w = analysis.judge(share, stablePooled, canaryPooled);
                windows.add(w);
                d.step("canary window", w.describe(), Duration.ZERO);
                if (w.verdict() == Window.Verdict.ABORTED) {
                    return new Outcome(false, "errors worse than the stable version's at " + share + "%: " + w.why()
                            + "; canary " + w.canary() + "; stable " + w.stable());
                }
                if (w.verdict() == Window.Verdict.PASSED) {
                    failures = 0;
                    next = firstStepAbove(share);
                    break;
                }
                if (w.verdict() == Window.Verdict.FAILED && ++failures >= plan.failureLimit()) {
                    return new Outcome(false, failures + " failed windows in a row at " + share + "%: " + w.why()
                            + "; canary " + w.canary() + "; stable " + w.stable());
                }
                if (w.verdict() == Window.Verdict.INCONCLUSIVE
                        && ticker.nanos() - since > plan.progressDeadline().toNanos()) {
                    return new Outcome(false, "no conclusive window at " + share + "% within "
                            + plan.progressDeadline().toSeconds() + " s: " + w.why());
                }
            }
        }
    }

    /** Two stretches' figures together. */
    static RequestStats.Snapshot plus(RequestStats.Snapshot a, RequestStats.Snapshot b) {
        long[] buckets = a.buckets().clone();
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] += b.buckets()[i];
        }
        return new RequestStats.Snapshot(buckets, a.errors() + b.errors());
    }

    private void setShare(StepLog d, int percent) {
        routing.share(percent);
        share = percent;
        d.step("canary share", percent + "% of requests to " + target, Duration.ZERO);
    }

    private int firstStepAbove(int percent) {
        List<Integer> steps = plan.steps();
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i) > percent) {
                return i;
            }
        }
        return steps.size() - 1;
    }

    /** The share now (percent). */
    public int share() {
        return share;
    }

    public Target target() {
        return target;
    }

    public CanarySettings plan() {
        return plan;
    }

    /** Every window so far, oldest first. */
    public List<Window> windows() {
        return List.copyOf(windows);
    }
}
