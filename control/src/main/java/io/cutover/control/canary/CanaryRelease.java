package io.cutover.control.canary;

import io.cutover.control.config.CanarySettings;
import io.cutover.control.notify.Event;
import io.cutover.control.notify.Events;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A canary release, top-down: the candidate (healthy already) takes each share of the app's
 * requests in turn; each share is held until a window passes. After each window the canary is
 * judged on all its windows so far ({@link CanaryAnalysis}): the error test aborts it at
 * once; a latency failure counts, and {@code failure-limit} of them in a row abort; inconclusive
 * windows (not enough evidence yet) hold the share, up to the progress deadline. Still
 * inconclusive then, it is aborted or (by {@code on-deadline}) held: the share stays, the deploy
 * waits for {@code cutover canary promote|abort}, and the windows go on (a decisive abort still
 * aborts; a passed window moves on). At 100% the caller promotes; on an abort it pulls the canary
 * back ({@link #pullBack}). Runs on the deploy's thread. Steps, holds, promotions and aborts are
 * told as events.
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
    private final Notify notify;
    private final List<Window> windows = new CopyOnWriteArrayList<>();
    private volatile int share;
    private volatile boolean held;
    private volatile Target target;

    /**
     * Where a canary's steps, hold, promotion and abort are told: the app's {@link Events}, as
     * events of deployment {@code deployment}.
     */
    public record Notify(Events events, String app, String deployment, Clock clock) {
        public static final Notify NONE = new Notify(Events.NONE, "-", null, Clock.systemUTC());

        void tell(Event.Kind kind, String text, int share) {
            events.publish(new Event(kind, app, deployment, "cutover: " + app + ": " + text,
                    Map.of("share", Integer.toString(share)), clock.instant()));
        }
    }

    /** @param keyFile where the app's canary cookie key is kept ({@link CanaryKey}) */
    public CanaryRelease(CanaryRouting routing, CanarySettings plan, Steering steering, Ticker ticker,
                         java.nio.file.Path keyFile) {
        this(routing, plan, steering, ticker, keyFile, Notify.NONE);
    }

    /**
     * @param keyFile where the app's canary cookie key is kept ({@link CanaryKey})
     * @param notify  where its steps, hold, promotion and abort are told
     */
    public CanaryRelease(CanaryRouting routing, CanarySettings plan, Steering steering, Ticker ticker,
                         java.nio.file.Path keyFile, Notify notify) {
        this.notify = notify;
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
        while (true) {
            int step = plan.steps().get(next);
            if (step >= 100) {
                return decided(new Outcome(true, "all steps passed"));
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
                            return decided(new Outcome(true, "promoted by hand at " + share + "%"));
                        }
                        case ABORT -> {
                            return decided(new Outcome(false, "aborted by hand at " + share + "%"));
                        }
                        case SET -> {
                            if (command.percent() >= 100) {
                                return decided(new Outcome(true, "set to 100% by hand"));
                            }
                            setShare(d, command.percent());
                            next = firstStepAbove(command.percent());
                            failures = 0;
                            since = ticker.nanos();
                            continue;
                        }
                    }
                }
                Window w = analysis.next(share, routing.stable().minus(s0), routing.canary().minus(c0));
                windows.add(w);
                d.step("canary window", w.describe(), Duration.ZERO);
                if (w.verdict() == Window.Verdict.ABORTED) {
                    return decided(new Outcome(false, "errors worse than the stable version's at " + share + "%: "
                            + w.why() + "; canary " + w.canary() + "; stable " + w.stable()));
                }
                if (w.verdict() == Window.Verdict.PASSED) {
                    failures = 0;
                    held = false;
                    next = firstStepAbove(share);
                    break;
                }
                if (w.verdict() == Window.Verdict.FAILED && ++failures >= plan.failureLimit()) {
                    return decided(new Outcome(false, failures + " failed windows in a row at " + share + "%: "
                            + w.why() + "; canary " + w.canary() + "; stable " + w.stable()));
                }
                if (w.verdict() == Window.Verdict.INCONCLUSIVE && !held
                        && ticker.nanos() - since > plan.progressDeadline().toNanos()) {
                    String at = "at " + share + "% within " + plan.progressDeadline().toSeconds() + " s";
                    if (plan.onDeadline() == CanarySettings.OnDeadline.ABORT) {
                        return decided(new Outcome(false, "no conclusive window " + at + ": " + w.why()));
                    }
                    held = true;
                    String line = "held at " + share + "%: inconclusive at the progress deadline ("
                            + plan.progressDeadline().toSeconds() + " s); decide with `cutover canary promote` or"
                            + " `cutover canary abort`";
                    d.step("canary held", line, Duration.ZERO);
                    notify.tell(Event.Kind.CANARY_HELD, line + ": " + w.why(), share);
                }
            }
        }
    }

    /** Tells of a decided outcome, and returns it. */
    private Outcome decided(Outcome o) {
        held = false;
        notify.tell(o.promote() ? Event.Kind.CANARY_PROMOTED : Event.Kind.CANARY_ABORTED,
                (o.promote() ? "canary promoted: " : "canary aborted: ") + o.why(), share);
        return o;
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
        held = false;
        d.step("canary share", percent + "% of requests to " + target, Duration.ZERO);
        notify.tell(Event.Kind.CANARY_STEP, "canary at " + percent + "% of requests", percent);
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

    /** Whether the canary is held at the progress deadline, inconclusive, waiting for a human. */
    public boolean held() {
        return held;
    }

    /** Every window so far, oldest first. */
    public List<Window> windows() {
        return List.copyOf(windows);
    }
}
