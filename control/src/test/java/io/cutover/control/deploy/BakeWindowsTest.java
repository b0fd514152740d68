package io.cutover.control.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.canary.BakeAnalysis;
import io.cutover.control.canary.Window;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A bake on its own, no sockets: the new version's figures come from a script, one window's worth
 * each time the bake reads them, and the bake's clock is a ticker that each read moves on by a
 * window's length (so a bake of 10 s with windows of 2 s judges five windows, at once; each
 * window is timed as the bake looked, before its figures were read).
 */
class BakeWindowsTest {
    private static final Duration LENGTH = Duration.ofSeconds(10);
    /** The real wait for a hand's end between windows: as short as can be; the ticker says what time it is. */
    private static final Duration WINDOW = Duration.ofMillis(1);
    private static final long WINDOW_NANOS = Duration.ofSeconds(2).toNanos();
    private static final RequestStats.Snapshot BASELINE = figures(1000, 0, 2_000);
    private static final RequestStats.Snapshot HEALTHY = figures(300, 0, 2_000);
    private static final RequestStats.Snapshot ERRORING = figures(60, 15, 2_000);
    private static final RequestStats.Snapshot SLOW = figures(300, 0, 90_000);
    private static final RequestStats.Snapshot QUIET = figures(5, 0, 2_000);

    private final AtomicLong now = new AtomicLong(Duration.ofHours(1).toNanos());
    private final List<String> steps = new ArrayList<>();

    /** {@code n} requests of about {@code micros} each, {@code errors} of them failed. */
    private static RequestStats.Snapshot figures(long n, long errors, long micros) {
        long[] buckets = new long[RequestStats.Snapshot.EMPTY.buckets().length];
        for (int i = 0; i < buckets.length; i++) {
            long[] one = new long[buckets.length];
            one[i] = 1;
            if (new RequestStats.Snapshot(one, 0).quantileMicros(1) > micros) {
                buckets[i] = n;
                return new RequestStats.Snapshot(buckets, errors);
            }
        }
        throw new IllegalArgumentException();
    }

    private static RequestStats.Snapshot plus(RequestStats.Snapshot a, RequestStats.Snapshot b) {
        long[] buckets = a.buckets().clone();
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] += b.buckets()[i];
        }
        return new RequestStats.Snapshot(buckets, a.errors() + b.errors());
    }

    private Bake bake(int failureLimit) {
        CanarySettings settings = new CanarySettings(List.of(), Duration.ofSeconds(60), 100, failureLimit,
                Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of());
        return new Bake(LENGTH, WINDOW, new BakeAnalysis(settings), now::get, Target.parse("127.0.0.1:8082"),
                Target.parse("127.0.0.1:8081"));
    }

    /** The new version's figures since the flip: each read is a window later, with that window's requests added. */
    private Supplier<RequestStats.Snapshot> script(RequestStats.Snapshot... windows) {
        List<RequestStats.Snapshot> each = List.of(windows);
        RequestStats.Snapshot[] sum = {RequestStats.Snapshot.EMPTY};
        int[] read = {0};
        return () -> {
            now.addAndGet(WINDOW_NANOS);
            sum[0] = plus(sum[0], each.get(Math.min(read[0]++, each.size() - 1)));
            return sum[0];
        };
    }

    private Bake.Outcome run(Bake bake, Supplier<RequestStats.Snapshot> sinceFlip) throws InterruptedException {
        return bake.run((name, detail, took) -> steps.add(name + ": " + detail), BASELINE, sinceFlip);
    }

    @Test
    void aHealthyNewVersionPassesWhenItsTimeIsUpWithTheLastWindowsWords() throws Exception {
        Bake bake = bake(2);
        Bake.Outcome o = run(bake, script(HEALTHY));
        assertEquals(Bake.End.PASSED, o.end());
        assertEquals(5, bake.windows().size(), "a window every 2 s of a 10 s bake");
        assertTrue(bake.windows().stream().allMatch(w -> w.verdict() == Window.Verdict.PASSED));
        assertEquals(bake.windows().get(4).why(), o.why(), "a passed end says the last window's why, as it is");
        assertEquals(Duration.ofSeconds(10), o.after());
        assertEquals("10 s", o.seconds());
        assertEquals(List.of(0L, 2_000L, 4_000L, 6_000L, 8_000L),
                bake.windows().stream().map(w -> w.elapsedMs()).toList(), "each window's time since the flip");
        assertEquals(5, steps.size());
        assertTrue(steps.get(1).startsWith("bake window: passed after 2 s: "), steps.get(1));
    }

    @Test
    void aBakeStillInconclusiveWhenItsTimeIsUpPassesAndSaysSo() throws Exception {
        Bake.Outcome o = run(bake(2), script(QUIET));
        assertEquals(Bake.End.PASSED, o.end());
        assertTrue(o.why().startsWith("inconclusive at the end, which passes: errors 0/25 vs before the flip 0/1000"),
                o.why());
    }

    @Test
    void aBakeWhoseTimeIsUpBeforeAnyWindowPassesWithNoWindowJudged() throws Exception {
        Bake bake = new Bake(Duration.ZERO, WINDOW, new BakeAnalysis(new CanarySettings(List.of(), Duration.ofSeconds(60),
                100, 2, Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of())), now::get,
                Target.parse("127.0.0.1:8082"), Target.parse("127.0.0.1:8081"));
        Bake.Outcome o = run(bake, script(ERRORING));
        assertEquals(new Bake.Outcome(Bake.End.PASSED, "no window was judged", Duration.ZERO), o);
        assertEquals(List.of(), bake.windows());
    }

    @Test
    void aNewVersionWithClearlyWorseErrorsEndsTheBakeAtOnceWithBothSidesFigures() throws Exception {
        Bake bake = bake(2);
        Bake.Outcome o = run(bake, script(ERRORING));
        assertEquals(Bake.End.WORSE, o.end());
        assertEquals(1, bake.windows().size(), "the error test ends it at its first bad window");
        assertEquals(Duration.ofSeconds(2), o.after());
        assertTrue(o.why().startsWith("errors worse than before the flip: errors 15/60 vs before the flip 0/1000"),
                o.why());
        assertTrue(o.why().contains("; new version 60 requests, 15 errors (25.0%)"), o.why());
        assertTrue(o.why().contains("; before the flip 1000 requests, 0 errors"), o.why());
    }

    @Test
    void latencyFailuresEndTheBakeAtTheFailureLimitInARow() throws Exception {
        Bake bake = bake(3);
        Bake.Outcome o = run(bake, script(SLOW));
        assertEquals(Bake.End.WORSE, o.end());
        assertEquals(3, bake.windows().size(), "three failures in a row, at a failure limit of 3");
        assertTrue(o.why().startsWith("3 windows in a row failed on latency: latency: "), o.why());
        assertTrue(o.why().contains("; new version 900 requests, 0 errors"), o.why());
        assertTrue(o.why().contains("; before the flip 1000 requests"), o.why());
    }

    @Test
    void aPassedWindowClearsTheLatencyFailuresBeforeIt() throws Exception {
        // slow; then enough fast requests to bring the pooled figures within limits; then slow for good.
        // At a failure limit of 2, the passed window in between means a third failure in all ends it, not the second.
        Bake bake = bake(2);
        Bake.Outcome o = run(bake, script(SLOW, figures(60_000, 0, 2_000), figures(70_000, 0, 90_000)));
        assertEquals(List.of(Window.Verdict.FAILED, Window.Verdict.PASSED, Window.Verdict.FAILED,
                Window.Verdict.FAILED), bake.windows().stream().map(w -> w.verdict()).toList());
        assertEquals(Bake.End.WORSE, o.end(), o.why());
    }

    @Test
    void aRollbackAskedForByHandEndsTheBakeAtItsNextLookWithoutAnotherWindow() throws Exception {
        Bake bake = bake(2);
        bake.endByHand("rolled back by hand");
        Bake.Outcome o = run(bake, script(HEALTHY));
        assertEquals(new Bake.Outcome(Bake.End.BY_HAND, "rolled back by hand", Duration.ZERO), o);
        assertEquals(List.of(), bake.windows());
    }

    @Test
    void theBakesElapsedTimeCountsFromItsStartAndItKnowsBothVersionsPlaces() throws Exception {
        Bake bake = bake(2);
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        assertEquals(Duration.ofSeconds(3), bake.elapsed(), "from its making until it runs");
        run(bake, script(HEALTHY));
        assertEquals(Duration.ofSeconds(10), bake.elapsed(), "from the start of its run");
        assertEquals(LENGTH, bake.length());
        assertEquals(Target.parse("127.0.0.1:8082"), bake.target());
        assertEquals(Target.parse("127.0.0.1:8081"), bake.previous());
    }
}
