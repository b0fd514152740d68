package io.cutover.control.canary;

import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a canary release asks of the app's routing: start the canary at 0%, set its share, read
 * the canary's and the stable version's figures, and pull the canary back. Promotion is not here:
 * it is the deploy's (it records the new version before the flip).
 */
public interface CanaryRouting {
    /**
     * Starts {@code candidate} as the canary at 0% (requests on the allowlist go to it at once);
     * the version serving now is the stable one the canary is compared with. May block.
     *
     * @param cookieKey the app's key for signing its canary cookie ({@link CanaryKey})
     */
    void start(Target candidate, String version, List<Canary.Allow> allow, byte[] cookieKey);

    /** The canary's share of new requests from now on, in percent (0-100). */
    void share(int percent);

    /** The stable version's figures since it started (empty if nothing was serving). */
    RequestStats.Snapshot stable();

    /** The canary's figures since it started. */
    RequestStats.Snapshot canary();

    /**
     * Pulls the canary back: every new request to the stable version in one flip; its requests
     * in flight finish.
     *
     * @return the canary's drain; completed with null if there was no canary
     */
    CompletableFuture<DrainResult> pullBack();
}
