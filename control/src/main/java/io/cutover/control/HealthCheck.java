package io.cutover.control;

import io.cutover.control.config.HealthSettings;
import io.cutover.proxy.Target;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polls a target's health path until it answers 2xx, or gives up at the deadline. */
public final class HealthCheck {
    private final HttpClient client;
    private final HealthSettings settings;
    private final Ticker ticker;

    public HealthCheck(HttpClient client, HealthSettings settings, Ticker ticker) {
        this.client = client;
        this.settings = settings;
        this.ticker = ticker;
    }

    /** A target that did not become healthy; the message says what the last probe saw. */
    public static final class UnhealthyException extends Exception {
        public UnhealthyException(String message) {
            super(message);
        }
    }

    /**
     * Blocks until the target is healthy.
     *
     * @return how long that took
     */
    public Duration await(Target target) throws UnhealthyException, InterruptedException {
        return await(target, Optional::empty);
    }

    /**
     * Blocks until the target is healthy, giving up early when {@code stopReason} has one (the
     * candidate's process or container exited: no point waiting for the deadline).
     *
     * @return how long that took
     */
    public Duration await(Target target, Supplier<Optional<String>> stopReason)
            throws UnhealthyException, InterruptedException {
        URI uri = URI.create("http://" + target + settings.path());
        HttpRequest probe = HttpRequest.newBuilder(uri).timeout(settings.timeout()).GET()
                .header("User-Agent", "cutover-health").build();
        long start = ticker.nanos();
        long deadline = start + settings.deadline().toNanos();
        String last;
        int probes = 0;
        while (true) {
            probes++;
            last = probeOnce(probe);
            if (last == null) {
                return Duration.ofNanos(ticker.nanos() - start);
            }
            Optional<String> stopped = stopReason.get();
            if (stopped.isPresent()) {
                throw new UnhealthyException(target + " " + stopped.get() + " before passing its health check GET "
                        + settings.path() + " (after " + Duration.ofNanos(ticker.nanos() - start).toMillis() + " ms)");
            }
            if (ticker.nanos() + settings.interval().toNanos() > deadline) {
                throw new UnhealthyException(target + " did not pass its health check GET " + settings.path()
                        + " within " + settings.deadline().toMillis() + " ms (" + probes + " probes; last: " + last + ")");
            }
            Thread.sleep(settings.interval().toMillis(), (int) (settings.interval().toNanos() % 1_000_000));
        }
    }

    /** Null when healthy, else what was wrong. */
    private String probeOnce(HttpRequest probe) throws InterruptedException {
        try {
            int status = client.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 300 ? null : "status " + status;
        } catch (HttpTimeoutException e) {
            return "no answer within " + settings.timeout().toMillis() + " ms";
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
