package io.cutover.control.deploy;

import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What a deploy's steps ask of the app's routing: move every request to a version in one flip
 * (a plain switch, or a canary's promotion), say whether a version carries requests, and hear
 * that one was stopped. Implemented over the app's switch by {@link SwitchRouting}.
 */
interface Routing {
    /** A flip done: where traffic went before ({@code previous}, maybe null) and its drain. */
    record Flip(Target previous, CompletableFuture<DrainResult> drain) {
    }

    /** Every new request to {@code target}, which passed its health gate after {@code healthWait}. May block. */
    Flip flip(Target target, String version, Duration healthWait);

    /** The running canary takes every request in one flip. */
    Flip promoteCanary(Duration healthWait);

    /** Whether new requests go to {@code target} now. */
    boolean routesTo(Target target);

    /** {@code target}'s version was stopped. */
    void stopped(Target target);

    /**
     * The figures of the backend taking the app's requests now, as they grow (empty figures if
     * none): read again after a flip, they still count that backend's requests, the ones it
     * finishes while it drains too.
     */
    Supplier<RequestStats.Snapshot> activeFigures();
}
