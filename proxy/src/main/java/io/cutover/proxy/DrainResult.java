package io.cutover.proxy;

import java.time.Duration;

/**
 * How draining a backend went.
 *
 * @param target    the backend that was drained
 * @param inFlight  requests in flight on it when draining began
 * @param completed of those, the ones that finished on their own
 * @param forced    the ones still open at the deadline, whose connections were closed
 * @param took      from the start of draining until the backend was idle or the deadline hit
 */
public record DrainResult(Target target, int inFlight, int completed, int forced, Duration took) {
}
