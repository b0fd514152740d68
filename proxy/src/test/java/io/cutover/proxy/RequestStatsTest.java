package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RequestStatsTest {

    @Test
    void everyLatencyFallsInABucketWhoseUpperBoundIsAtMostAQuarterAbove() {
        for (long micros = 1; micros < 1L << 38; micros += 1 + micros / 7) {
            int b = RequestStats.bucket(micros);
            long upper = RequestStats.upperMicros(b);
            assertTrue(upper > micros && upper <= micros * 1.25 + 1, micros + " µs in bucket " + b + " up to " + upper);
            assertTrue(b == 0 || RequestStats.upperMicros(b - 1) <= micros, "buckets are in order at " + micros);
        }
    }

    @Test
    void requestsAtLeastAsSlowAsTheP99AreTheOnesInBucketsAboveIt() {
        RequestStats stats = new RequestStats();
        for (int i = 0; i < 990; i++) {
            stats.record(200, TimeUnit.MILLISECONDS.toNanos(2));
        }
        for (int i = 0; i < 10; i++) {
            stats.record(200, TimeUnit.MILLISECONDS.toNanos(2 + i));
        }
        RequestStats.Snapshot s = stats.snapshot();
        long p99 = s.quantileMicros(0.99);
        assertEquals(9, s.atLeast(p99), "3 ms to 11 ms, above the bucket of 2 ms (p99 " + p99 + " µs)");
        assertEquals(0, s.atLeast(TimeUnit.MILLISECONDS.toMicros(25)), "none at the floor");
        assertEquals(1000, s.atLeast(0));
    }

    @Test
    void aWindowIsTheDifferenceOfTwoSnapshotsWithItsErrorsAndP99() {
        RequestStats stats = new RequestStats();
        stats.record(200, TimeUnit.MILLISECONDS.toNanos(1));
        RequestStats.Snapshot start = stats.snapshot();
        for (int i = 0; i < 98; i++) {
            stats.record(200, TimeUnit.MILLISECONDS.toNanos(2));
        }
        stats.record(502, TimeUnit.MILLISECONDS.toNanos(3));     // a failure of the proxy's own counts
        stats.record(0, TimeUnit.MILLISECONDS.toNanos(3));       // so does a cut response
        stats.record(TrafficObserver.CLIENT_GONE, TimeUnit.SECONDS.toNanos(9));  // a client leaving does not
        stats.record(TrafficObserver.CLIENT_TOO_SLOW, TimeUnit.SECONDS.toNanos(9));  // nor one too slow to send its body
        stats.record(101, TimeUnit.SECONDS.toNanos(60));         // nor a WebSocket's lifetime
        stats.record(404, TimeUnit.MILLISECONDS.toNanos(200));
        RequestStats.Snapshot window = stats.snapshot().minus(start);
        assertEquals(101, window.requests());
        assertEquals(2, window.errors());
        assertEquals(2.0 / 101, window.errorRate(), 1e-9);
        long p99 = window.quantileMicros(0.99);
        assertTrue(p99 >= 3000 && p99 <= 3000 * 1.25, "p99 " + p99);
        assertTrue(window.quantileMicros(0.5) <= 2500);
        assertEquals(0, RequestStats.Snapshot.EMPTY.quantileMicros(0.99));
    }
}
