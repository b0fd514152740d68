package io.cutover.control.warmup;

import java.util.concurrent.CompletableFuture;

/** A warm-up under way. */
public interface Warming {
    /** Completes when every request sent has ended (never exceptionally). */
    CompletableFuture<WarmUpResult> done();

    /** Sends no more requests (those in flight end or time out); {@code why} goes into the result. */
    void cancel(String why);
}
