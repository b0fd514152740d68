package io.cutover.control.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.CanarySettings;
import io.cutover.control.notify.Event;
import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A canary release on its own, no sockets: a fake routing whose figures the test scripts window
 * by window, a step log that records, and a ticker the test moves.
 */
class CanaryReleaseStepsTest {
    private static final Target CANDIDATE = Target.parse("127.0.0.1:8082");
    private static final RequestStats.Snapshot HEALTHY = window(200, 0);
    private static final RequestStats.Snapshot ERRORING = window(200, 40);
    private static final RequestStats.Snapshot QUIET = window(5, 0);
    /** No canary requests at all: never judged, however many windows the deploy's thread runs. */
    private static final RequestStats.Snapshot IDLE = window(0, 0);
    /** 200 requests slower than the 25 ms latency floor. */
    private static final RequestStats.Snapshot SLOW = slow(200);
    /** Enough fast requests to bring the pooled p99 back below the floor after a slow window or two. */
    private static final RequestStats.Snapshot BUSY = window(30_000, 0);

    @TempDir
    Path dir;

    /** {@code n} fast requests, {@code errors} of them failed. */
    private static RequestStats.Snapshot window(long n, long errors) {
        long[] buckets = new long[RequestStats.Snapshot.EMPTY.buckets().length];
        buckets[0] = n;
        return new RequestStats.Snapshot(buckets, errors);
    }

    /** {@code n} requests of 80-100 ms, none failed. */
    private static RequestStats.Snapshot slow(long n) {
        long[] buckets = new long[RequestStats.Snapshot.EMPTY.buckets().length];
        for (int i = 0; i < buckets.length; i++) {
            long[] one = new long[buckets.length];
            one[i] = 1;
            if (new RequestStats.Snapshot(one, 0).quantileMicros(1) > 80_000) {
                buckets[i] = n;
                return new RequestStats.Snapshot(buckets, 0);
            }
        }
        throw new IllegalStateException();
    }

    private static RequestStats.Snapshot plus(RequestStats.Snapshot a, RequestStats.Snapshot b) {
        long[] buckets = a.buckets().clone();
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] += b.buckets()[i];
        }
        return new RequestStats.Snapshot(buckets, a.errors() + b.errors());
    }

    /** Routing that serves the canary's windows from a script (the last one repeats) and records shares. */
    private static final class FakeRouting implements CanaryRouting {
        final List<Integer> shares = new CopyOnWriteArrayList<>();
        final List<RequestStats.Snapshot> script;
        volatile Integer share;
        volatile boolean pulledBack;
        private RequestStats.Snapshot stable = RequestStats.Snapshot.EMPTY;
        private RequestStats.Snapshot canary = RequestStats.Snapshot.EMPTY;
        private int canaryReads;

        FakeRouting(RequestStats.Snapshot... script) {
            this.script = List.of(script);
        }

        /** What the canary was started with: "target version allowlist", and the key. */
        volatile String started;
        volatile byte[] key;
        /** Called on the deploy's thread as each share is set (where a test steers the canary by hand). */
        volatile java.util.function.IntConsumer onShare = p -> { };

        @Override
        public void start(Target candidate, String version, List<Canary.Allow> allow, byte[] cookieKey) {
            share = 0;
            started = candidate + " " + version + " " + allow;
            key = cookieKey;
        }

        @Override
        public void share(int percent) {
            shares.add(percent);
            share = percent;
            onShare.accept(percent);
        }

        /** Each read adds a window's requests: the release reads at a window's start and end. */
        @Override
        public RequestStats.Snapshot stable() {
            stable = plus(stable, window(1000, 0));
            return stable;
        }

        @Override
        public RequestStats.Snapshot canary() {
            int w = canaryReads++ / 2;
            canary = plus(canary, script.get(Math.min(w, script.size() - 1)));
            return canary;
        }

        @Override
        public CompletableFuture<DrainResult> pullBack() {
            pulledBack = true;
            share = null;
            return CompletableFuture.completedFuture(new DrainResult(CANDIDATE, 3, 3, 0, Duration.ofMillis(7)));
        }
    }

    /** The steps a release reported, as "name: detail". */
    private static final class Steps implements StepLog {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public void step(String name, String detail, Duration took) {
            lines.add(name + ": " + detail);
        }

        List<String> named(String name) {
            return lines.stream().filter(l -> l.startsWith(name + ": ")).toList();
        }
    }

    private static CanarySettings plan(List<Integer> steps, int failureLimit) {
        // windows of a millisecond: the script, not the clock, decides what each window saw
        return new CanarySettings(steps, Duration.ofMillis(1), 100, failureLimit, Duration.ofMinutes(10), 2.0, 1.0, 5,
                1.5, Duration.ofMillis(25), List.of());
    }

    private CanaryRelease release(FakeRouting routing, CanarySettings plan, io.cutover.proxy.Ticker ticker) {
        return new CanaryRelease(routing, plan, new Steering(), ticker, dir.resolve("shop.canary-key"));
    }

    @Test
    void aHealthyCanaryTakesEveryShareInTurnWithAPassedWindowAtEachAndIsToBePromoted() throws Exception {
        FakeRouting routing = new FakeRouting(HEALTHY);
        Steps steps = new Steps();
        CanaryRelease.Outcome outcome = release(routing, plan(List.of(10, 50, 100), 2), System::nanoTime)
                .run(steps, CANDIDATE, "v2");
        assertEquals(new CanaryRelease.Outcome(true, "all steps passed"), outcome);
        assertEquals(List.of(10, 50), routing.shares, "shares rise step by step; 100 is the caller's promotion");
        List<String> windows = steps.named("canary window");
        assertEquals(2, windows.size(), steps.lines.toString());
        assertTrue(windows.get(0).startsWith("canary window: passed at 10%"), windows.toString());
        assertTrue(windows.get(1).startsWith("canary window: passed at 50%"), windows.toString());
        assertEquals("canary share: 10% of requests to " + CANDIDATE, steps.named("canary share").get(0));
        assertFalse(routing.pulledBack, "a canary to be promoted is not pulled back");
    }

    @Test
    void anErroringCanaryIsAbortedByTheErrorTestAtOnceWithoutRisingAndItsPullBackClearsTheShare() throws Exception {
        FakeRouting routing = new FakeRouting(ERRORING);
        Steps steps = new Steps();
        CanaryRelease release = release(routing, plan(List.of(10, 50, 100), 2), System::nanoTime);
        CanaryRelease.Outcome outcome = release.run(steps, CANDIDATE, "v2");
        assertFalse(outcome.promote());
        assertTrue(outcome.why().startsWith("errors worse than the stable version's at 10%: errors 40/200 vs stable 0/1000:"
                + " log-likelihood ratio "), outcome.why());
        assertTrue(outcome.why().contains("canary 200 requests, 40 errors (20.0%)"), outcome.why());
        assertEquals(List.of(10), routing.shares, "it never rose past the first share");
        assertEquals(1, release.windows().size(), "the error test does not wait for the failure limit");
        assertTrue(steps.named("canary window").get(0).startsWith("canary window: aborted at 10%: errors 40/200"),
                steps.lines.toString());

        release.pullBack(steps);
        assertTrue(routing.pulledBack);
        assertEquals(null, routing.share, "no canary share left");
        assertEquals(List.of("canary pulled back: every request to the stable version; 3 canary requests finished in 7 ms"),
                steps.named("canary pulled back"));
    }

    @Test
    void aPassedWindowClearsTheLatencyFailuresBeforeItSoFailuresOnlyCountInARow() throws Exception {
        // the windows pool: a busy window brings the pooled p99 back within the limit
        FakeRouting routing = new FakeRouting(SLOW, BUSY, SLOW, BUSY);
        CanaryRelease.Outcome outcome = release(routing, plan(List.of(10, 50, 100), 2), System::nanoTime)
                .run(new Steps(), CANDIDATE, "v2");
        assertTrue(outcome.promote(), outcome.why());
        assertEquals(List.of(10, 50), routing.shares);
    }

    @Test
    void aSlowCanaryAbortsAtItsFailureLimitOfLatencyFailuresInARow() throws Exception {
        FakeRouting routing = new FakeRouting(SLOW);
        CanaryRelease release = release(routing, plan(List.of(10, 50, 100), 2), System::nanoTime);
        CanaryRelease.Outcome outcome = release.run(new Steps(), CANDIDATE, "v2");
        assertFalse(outcome.promote());
        assertTrue(outcome.why().startsWith("2 failed windows in a row at 10%: errors 0/400 vs stable 0/2000"), outcome.why());
        assertTrue(outcome.why().contains("; latency: 400/400 canary requests at least 25 ms (the latency floor, "),
                outcome.why());
        assertEquals(2, release.windows().size());
    }

    @Test
    void tooFewRequestsHoldTheShareUntilTheProgressDeadlineAndThenAbortWhenTheAppSaysAbort() throws Exception {
        FakeRouting routing = new FakeRouting(QUIET);
        AtomicLong now = new AtomicLong();
        io.cutover.proxy.Ticker ticker = () -> now.getAndAdd(Duration.ofMinutes(1).toNanos());
        CanaryRelease release = release(routing, plan(List.of(10, 100), 2).with(CanarySettings.OnDeadline.ABORT), ticker);
        CanaryRelease.Outcome outcome = release.run(new Steps(), CANDIDATE, "v2");
        assertFalse(outcome.promote());
        assertTrue(outcome.why().startsWith("no conclusive window at 10% within 600 s: errors 0/"), outcome.why());
        assertTrue(outcome.why().contains("not judged yet: the canary had "), outcome.why());
        assertEquals(List.of(10), routing.shares, "the share was held");
        assertTrue(release.windows().size() > 1, "inconclusive windows hold the share: " + release.windows().size());
        assertTrue(release.windows().stream().allMatch(w -> w.verdict() == Window.Verdict.INCONCLUSIVE));
    }

    /** Events told, in order. */
    private static final class Told implements io.cutover.control.notify.Events {
        final List<Event> events = new CopyOnWriteArrayList<>();

        @Override
        public void publish(Event e) {
            events.add(e);
        }

        List<Event.Kind> kinds() {
            return events.stream().map(Event::kind).toList();
        }
    }

    private CanaryRelease release(FakeRouting routing, CanarySettings plan, io.cutover.proxy.Ticker ticker,
                                  Steering steering, Told told) {
        return new CanaryRelease(routing, plan, steering, ticker, dir.resolve("shop.canary-key"),
                new CanaryRelease.Notify(told, "shop", "d1", java.time.Clock.systemUTC()));
    }

    @Test
    void aCanaryStillInconclusiveAtTheDeadlineIsHeldAtItsShareUntilAHumanPromotesIt() throws Exception {
        // idle, not quiet: quiet windows pile up to a pass after ~46 windows, which the deploy's
        // thread can run before this thread looks (CI saw it), and the deploy would not wait
        FakeRouting routing = new FakeRouting(IDLE);
        AtomicLong now = new AtomicLong();
        io.cutover.proxy.Ticker ticker = () -> now.getAndAdd(Duration.ofMinutes(1).toNanos());
        Steering steering = new Steering();
        Told told = new Told();
        CanaryRelease release = release(routing, plan(List.of(10, 100), 2), ticker, steering, told);
        Steps steps = new Steps();
        // the deploy's thread: one of its own (the common pool may have no thread to spare)
        CompletableFuture<CanaryRelease.Outcome> outcome = new CompletableFuture<>();
        Thread deploy = new Thread(() -> {
            try {
                outcome.complete(release.run(steps, CANDIDATE, "v2"));
            } catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        }, "canary-deploy");
        deploy.setDaemon(true);
        deploy.start();
        io.cutover.proxy.Eventually.until(Duration.ofSeconds(20), "the canary held", release::held);
        int windows = release.windows().size();
        io.cutover.proxy.Eventually.until(Duration.ofSeconds(20), "windows judged while held",
                () -> release.windows().size() > windows + 3);
        assertFalse(outcome.isDone(), "the deploy waits for a human");
        assertEquals(List.of(10), routing.shares, "the share is held");
        assertEquals(Event.Kind.CANARY_HELD, told.events.get(1).kind(), told.kinds().toString());
        assertTrue(told.events.get(1).text().startsWith("cutover: shop: held at 10%: inconclusive at the progress deadline"
                + " (600 s); decide with `cutover canary promote` or `cutover canary abort`: errors 0/"),
                told.events.get(1).text());
        steering.send("shop", new Steering.Command(Steering.Command.Kind.PROMOTE, 100));
        assertEquals(new CanaryRelease.Outcome(true, "promoted by hand at 10%"), outcome.get(20, TimeUnit.SECONDS));
        assertEquals(List.of("canary held: held at 10%: inconclusive at the progress deadline (600 s); decide with"
                + " `cutover canary promote` or `cutover canary abort`"), steps.named("canary held"), "held once");
        assertEquals(List.of(Event.Kind.CANARY_STEP, Event.Kind.CANARY_HELD, Event.Kind.CANARY_PROMOTED), told.kinds());
        assertEquals("d1", told.events.get(2).deployment());
        assertFalse(release.held());
    }

    @Test
    void aHeldCanaryWhoseErrorsTurnClearlyWorseIsStillAbortedByItself() throws Exception {
        RequestStats.Snapshot[] script = new RequestStats.Snapshot[31];
        java.util.Arrays.fill(script, QUIET);
        script[30] = ERRORING;
        FakeRouting routing = new FakeRouting(script);
        AtomicLong now = new AtomicLong();
        io.cutover.proxy.Ticker ticker = () -> now.getAndAdd(Duration.ofMinutes(1).toNanos());
        Told told = new Told();
        CanaryRelease release = release(routing, plan(List.of(10, 100), 2), ticker, new Steering(), told);
        CanaryRelease.Outcome outcome = release.run(new Steps(), CANDIDATE, "v2");
        assertFalse(outcome.promote());
        assertTrue(outcome.why().startsWith("errors worse than the stable version's at 10%"), outcome.why());
        assertEquals(List.of(Event.Kind.CANARY_STEP, Event.Kind.CANARY_HELD, Event.Kind.CANARY_ABORTED), told.kinds());
    }

    @Test
    void eachShareAndThePromotionAreToldAsEvents() throws Exception {
        Told told = new Told();
        release(new FakeRouting(HEALTHY), plan(List.of(10, 50, 100), 2), System::nanoTime, new Steering(), told)
                .run(new Steps(), CANDIDATE, "v2");
        assertEquals(List.of(Event.Kind.CANARY_STEP, Event.Kind.CANARY_STEP, Event.Kind.CANARY_PROMOTED), told.kinds());
        assertEquals("cutover: shop: canary at 50% of requests", told.events.get(1).text());
        assertEquals("cutover: shop: canary promoted: all steps passed", told.events.get(2).text());
        assertEquals("50", told.events.get(1).details().get("share"));
    }

    @Test
    void theCanaryStartsAtZeroWithTheCandidateItsVersionTheAllowlistAndTheAppsKeptKeyAndKnowsWhereItIs()
            throws Exception {
        FakeRouting routing = new FakeRouting(HEALTHY);
        CanaryRelease release = release(routing, plan(List.of(10, 100), 2), System::nanoTime);
        assertEquals(null, release.target(), "not started yet");
        release.run(new Steps(), CANDIDATE, "v2");
        assertEquals(CANDIDATE + " v2 []", routing.started);
        org.junit.jupiter.api.Assertions.assertArrayEquals(CanaryKey.load(dir.resolve("shop.canary-key")), routing.key,
                "the app's kept key signs its cookie");
        assertEquals(CANDIDATE, release.target());
        assertEquals(10, release.share());
        assertEquals(List.of(10, 100), release.plan().steps());
    }

    @Test
    void aShareSetByHandTakesEffectAtOnceAndTheStepsGoOnFromTheFirstAboveIt() throws Exception {
        FakeRouting routing = new FakeRouting(HEALTHY);
        Steering steering = new Steering();
        routing.onShare = p -> {
            if (p == 10) {
                send(steering, Steering.Command.Kind.SET, 60);
            }
        };
        CanaryRelease.Outcome outcome = release(routing, plan(List.of(10, 50, 75, 100), 2), System::nanoTime,
                steering, new Told()).run(new Steps(), CANDIDATE, "v2");
        assertEquals(new CanaryRelease.Outcome(true, "all steps passed"), outcome);
        assertEquals(List.of(10, 60, 75), routing.shares, "from 60 by hand to 75, the first step above it");
    }

    @Test
    void aShareSetByHandToAHundredPromotesAndAnAbortByHandAborts() throws Exception {
        for (int percent : new int[] {100, 150}) {
            FakeRouting routing = new FakeRouting(QUIET);
            Steering steering = new Steering();
            routing.onShare = p -> send(steering, Steering.Command.Kind.SET, percent);
            assertEquals(new CanaryRelease.Outcome(true, "set to 100% by hand"), release(routing,
                    plan(List.of(10, 100), 2), System::nanoTime, steering, new Told()).run(new Steps(), CANDIDATE, "v2"));
            assertEquals(List.of(10), routing.shares, "100% is the promotion, not a share");
        }
        FakeRouting routing = new FakeRouting(HEALTHY);
        Steering steering = new Steering();
        routing.onShare = p -> send(steering, Steering.Command.Kind.ABORT, 0);
        Told told = new Told();
        assertEquals(new CanaryRelease.Outcome(false, "aborted by hand at 10%"), release(routing,
                plan(List.of(10, 100), 2), System::nanoTime, steering, told).run(new Steps(), CANDIDATE, "v2"));
        assertEquals(List.of(Event.Kind.CANARY_STEP, Event.Kind.CANARY_ABORTED), told.kinds());
        assertEquals("cutover: shop: canary aborted: aborted by hand at 10%", told.events.get(1).text());
    }

    @Test
    void theCanaryTakesCommandsOnlyWhileItRunsAndOneLeftFromBeforeItIsDropped() throws Exception {
        Steering steering = new Steering();
        assertEquals("app shop has no canary running", org.junit.jupiter.api.Assertions.assertThrows(
                Steering.NoCanaryException.class,
                () -> steering.send("shop", new Steering.Command(Steering.Command.Kind.ABORT, 0))).getMessage());
        steering.running(true);
        steering.send("shop", new Steering.Command(Steering.Command.Kind.ABORT, 0));
        steering.running(false);
        steering.running(true);
        assertEquals(null, steering.next(Duration.ZERO), "a command for an earlier canary never reaches a later one");
        steering.send("shop", new Steering.Command(Steering.Command.Kind.PROMOTE, 100));
        assertEquals(new Steering.Command(Steering.Command.Kind.PROMOTE, 100), steering.next(Duration.ZERO));

        FakeRouting routing = new FakeRouting(HEALTHY);
        release(routing, plan(List.of(10, 100), 2), System::nanoTime, steering, new Told()).run(new Steps(), CANDIDATE,
                "v2");
        org.junit.jupiter.api.Assertions.assertThrows(Steering.NoCanaryException.class,
                () -> steering.send("shop", new Steering.Command(Steering.Command.Kind.ABORT, 0)), "it ended");
    }

    @Test
    void theProgressDeadlineCountsFromWhenTheShareWasSetAndAWindowExactlyAtItIsNotYetPastIt() throws Exception {
        FakeRouting routing = new FakeRouting(QUIET);
        // the ticker is read once as the share is set, then once after each inconclusive window: a minute on each time
        AtomicLong now = new AtomicLong(Duration.ofHours(3).toNanos());
        io.cutover.proxy.Ticker ticker = () -> now.getAndAdd(Duration.ofMinutes(1).toNanos());
        CanaryRelease release = release(routing, plan(List.of(10, 100), 2).with(CanarySettings.OnDeadline.ABORT), ticker);
        CanaryRelease.Outcome outcome = release.run(new Steps(), CANDIDATE, "v2");
        assertFalse(outcome.promote());
        assertEquals(11, release.windows().size(), "the 10th window is at the 10-minute deadline, the 11th past it");
    }

    private static void send(Steering steering, Steering.Command.Kind kind, int percent) {
        try {
            steering.send("shop", new Steering.Command(kind, percent));
        } catch (Steering.NoCanaryException e) {
            throw new AssertionError(e);
        }
    }
}
