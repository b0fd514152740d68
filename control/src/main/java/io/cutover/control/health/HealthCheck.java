package io.cutover.control.health;

import io.cutover.control.config.HealthSettings;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import io.cutover.proxy.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Polls a target's health path until it answers 2xx, or gives up at the deadline. */
public final class HealthCheck {
    private final HttpProbe probe;
    private final HealthSettings settings;
    private final Ticker ticker;
    private final EventExecutorGroup timers;

    HealthCheck(HttpProbe probe, HealthSettings settings, Ticker ticker, EventExecutorGroup timers) {
        this.probe = probe;
        this.settings = settings;
        this.ticker = ticker;
        this.timers = timers;
    }

    /** A target that did not become healthy; the message says what the last probe saw. */
    public static final class UnhealthyException extends Exception {
        public UnhealthyException(String message) {
            super(message);
        }
    }

    /**
     * Checks without blocking: probes, and between probes waits on the control loop's timer.
     *
     * @param address the target, resolved (resolution may block: it is the caller's to do)
     * @return how long it took to see a 2xx; fails with {@link UnhealthyException}
     */
    public CompletableFuture<Duration> check(Target target, InetSocketAddress address) {
        CompletableFuture<Duration> result = new CompletableFuture<>();
        long start = ticker.nanos();
        probeUntilHealthy(target, address, start, 1, result);
        return result;
    }

    private void probeUntilHealthy(Target target, InetSocketAddress address, long start, int probes,
                                   CompletableFuture<Duration> result) {
        probe.get(address, target.toString(), settings.path(), settings.timeout()).thenAccept(problem -> {
            if (problem == null) {
                result.complete(Duration.ofNanos(ticker.nanos() - start));
            } else if (ticker.nanos() + settings.interval().toNanos() > start + settings.deadline().toNanos()) {
                result.completeExceptionally(gaveUp(target, probes, problem));
            } else {
                timers.schedule(() -> probeUntilHealthy(target, address, start, probes + 1, result),
                        settings.interval().toNanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    /** One probe, without retries: true for a 2xx (never completes exceptionally). */
    public CompletableFuture<Boolean> probeOnce(Target target, InetSocketAddress address) {
        return probe.get(address, target.toString(), settings.path(), settings.timeout()).thenApply(p -> p == null);
    }

    /**
     * One probe, without retries: null for a 2xx, else what it saw ("GET /up answered 503")
     * (never completes exceptionally).
     */
    public CompletableFuture<String> problem(Target target, InetSocketAddress address) {
        return probe.get(address, target.toString(), settings.path(), settings.timeout())
                .thenApply(p -> p == null ? null : "GET " + settings.path() + ": " + p);
    }

    /** One probe's limit. */
    public Duration timeout() {
        return settings.timeout();
    }

    /** The pause between two probes of a target. */
    public Duration interval() {
        return settings.interval();
    }

    /** Blocks until the target is healthy; see {@link #await(Target, Supplier)}. */
    public Duration await(Target target) throws UnhealthyException, InterruptedException {
        return await(target, Optional::empty);
    }

    /**
     * Blocks until the target is healthy, giving up early when {@code stopReason} has one (the
     * candidate's process or container exited: no point waiting for the deadline). The check of
     * {@code stopReason} runs on the calling thread, so it may block.
     *
     * @return how long that took
     */
    public Duration await(Target target, Supplier<Optional<String>> stopReason)
            throws UnhealthyException, InterruptedException {
        long start = ticker.nanos();
        long deadline = start + settings.deadline().toNanos();
        InetSocketAddress address = target.resolve();
        for (int probes = 1; ; probes++) {
            String problem;
            try {
                problem = probe.get(address, target.toString(), settings.path(), settings.timeout()).get();
            } catch (ExecutionException e) {
                problem = e.getCause().toString();
            }
            if (problem == null) {
                return Duration.ofNanos(ticker.nanos() - start);
            }
            Optional<String> stopped = stopReason.get();
            if (stopped.isPresent()) {
                throw new UnhealthyException(target + " " + stopped.get() + " before passing its health check GET "
                        + settings.path() + " (after " + Duration.ofNanos(ticker.nanos() - start).toMillis() + " ms)");
            }
            if (ticker.nanos() + settings.interval().toNanos() > deadline) {
                throw gaveUp(target, probes, problem);
            }
            Thread.sleep(settings.interval().toMillis(), (int) (settings.interval().toNanos() % 1_000_000));
        }
    }

    private UnhealthyException gaveUp(Target target, int probes, String problem) {
        return new UnhealthyException(target + " did not pass its health check GET " + settings.path()
                + " within " + settings.deadline().toMillis() + " ms (" + probes + " probes; last: " + problem + ")");
    }

    /** Probes on the given event loop (the control plane's: never the proxy's). */
    public static HealthCheck on(EventLoopGroup loop, Transport transport, HealthSettings settings, Ticker ticker) {
        return new HealthCheck(new HttpProbe(loop, transport, settings.timeout()), settings, ticker, loop);
    }
}
