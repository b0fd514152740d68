package io.cutover.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One routable version of an app: its {@link Replica replicas} (one or more instances, each with
 * its own connections, pooled per event loop), the requests in flight on it, the stats a canary
 * is judged by, and its drain. A backend is created when traffic is switched to a version and
 * drained when traffic is switched away (a drain drains every replica); it is never reused after
 * a drain.
 *
 * <p>Each request picks a replica once it is routed here ({@link #pick}): the one with the fewest
 * requests in flight among those that are up, ties taken in turn; see {@link Replica} for when a
 * replica is down.
 */
public final class Backend {
    private final String app;
    private final Target target;
    private final String version;
    private final TrafficObserver.RequestObserver observer;
    private final Bootstrap bootstrap;
    private final Replica[] replicas;
    private final List<Replica> replicaList;
    private final List<Target> targets;
    /** Where the next pick starts looking, so that ties go in turn; racy on purpose (a lost step is harmless). */
    private int nextPick;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final RequestStats stats = new RequestStats();
    private final CompletableFuture<Void> idle = new CompletableFuture<>();
    private volatile boolean draining;
    private volatile boolean closed;

    private final ChannelGroup allBackendChannels;
    private static final long NO_CONNECTION_LOG_INTERVAL = TimeUnit.MINUTES.toNanos(1);
    private static final Logger log = LoggerFactory.getLogger(Backend.class);
    private final Ticker ticker;
    /** {@link #forward}'s, by strip. */
    private volatile Forward[] forwards = new Forward[1];
    private final AtomicLong lastNoConnectionLog;
    private final AtomicLong noConnections = new AtomicLong();

    Backend(String app, Target target, InetSocketAddress address, String version,
            TrafficObserver.RequestObserver observer, Bootstrap bootstrap, int maxIdlePerLoop,
            ChannelGroup allBackendChannels) {
        this(app, target, address, version, observer, bootstrap, maxIdlePerLoop, allBackendChannels, Ticker.SYSTEM);
    }

    Backend(String app, Target target, InetSocketAddress address, String version,
            TrafficObserver.RequestObserver observer, Bootstrap bootstrap, int maxIdlePerLoop,
            ChannelGroup allBackendChannels, Ticker ticker) {
        this(app, List.of(target), List.of(address), version, observer, bootstrap, maxIdlePerLoop, allBackendChannels,
                ticker);
    }

    /** A version running as {@code targets.size()} replicas, at the addresses given (in the same order). */
    Backend(String app, List<Target> targets, List<InetSocketAddress> addresses, String version,
            TrafficObserver.RequestObserver observer, Bootstrap bootstrap, int maxIdlePerLoop,
            ChannelGroup allBackendChannels, Ticker ticker) {
        if (targets.isEmpty() || targets.size() != addresses.size()) {
            throw new IllegalArgumentException("a backend needs one address per target, and a target at least: "
                    + targets + ", " + addresses);
        }
        this.ticker = ticker;
        this.lastNoConnectionLog = new AtomicLong(ticker.nanos() - NO_CONNECTION_LOG_INTERVAL - 1);
        this.app = app;
        this.targets = List.copyOf(targets);
        this.target = this.targets.get(0);
        this.version = version;
        this.observer = observer;
        this.bootstrap = bootstrap;
        this.allBackendChannels = allBackendChannels;
        this.replicas = new Replica[targets.size()];
        for (int i = 0; i < replicas.length; i++) {
            replicas[i] = new Replica(this, i, targets.get(i), addresses.get(i), maxIdlePerLoop, replicas.length > 1);
        }
        this.replicaList = List.of(replicas);
    }

    /**
     * Where a request goes here with {@code strip} bytes of its path taken off, and no cookie to
     * give: made once per strip (a race makes one twice at worst), so routing allocates nothing.
     */
    Forward forward(int strip) {
        Forward[] made = forwards;
        Forward f = strip < made.length ? made[strip] : null;
        return f != null ? f : forwardMade(strip);
    }

    private Forward forwardMade(int strip) {
        Forward f = new Forward(this, strip, null);
        Forward[] next = java.util.Arrays.copyOf(forwards, Math.max(forwards.length, strip + 1));
        next[strip] = f;
        forwards = next;
        return f;
    }

    /** The first replica's target: the version's identity to the control plane. */
    public Target target() {
        return target;
    }

    /** Every replica's target, in order. */
    public List<Target> targets() {
        return targets;
    }

    /** Its replicas, in order (the first is {@link #target()}'s). */
    public List<Replica> replicas() {
        return replicaList;
    }

    /**
     * The replica a request goes to: the one with the fewest requests in flight among those that
     * are up (or whose passive trial is due), ties taken in turn; if every one left is down, still
     * one of them (in turn), so that a version is never refused merely because all its replicas
     * are marked down. Replicas whose bit ({@code 1L << (index & 63)}) is set in {@code tried} are
     * left out; null when that leaves none. One replica costs nothing: it is the answer.
     */
    Replica pick(long tried) {
        return pick(tried, true);
    }

    /**
     * An up replica not in {@code tried} with the fewest requests in flight, or null: unlike
     * {@link #pick(long)}, it neither takes a down replica's trial nor falls back to a down one
     * (a retry that would rather stay where it is than go to a replica that is down).
     */
    Replica pickUp(long tried) {
        return pick(tried, false);
    }

    private Replica pick(long tried, boolean trials) {
        Replica[] rs = replicas;
        int n = rs.length;
        if (n == 1) {
            return (tried & 1L) == 0 && (trials || rs[0].up()) ? rs[0] : null;
        }
        int start = nextPick++;
        start = Math.floorMod(start, n);
        Replica best = null;
        int bestLoad = Integer.MAX_VALUE;
        Replica anyDown = null;
        for (int i = 0; i < n; i++) {
            int at = start + i;
            Replica r = rs[at >= n ? at - n : at];
            if ((tried & bit(r)) != 0) {
                continue;
            }
            if (!r.up()) {
                if (!trials) {
                    continue;
                }
                if (r.available(ticker)) {
                    return r;       // its passive trial: one request per back-off
                }
                if (anyDown == null) {
                    anyDown = r;
                }
                continue;
            }
            int load = r.inFlight();
            if (load < bestLoad) {
                best = r;
                bestLoad = load;
            }
        }
        return best != null ? best : anyDown;      // null without trials: anyDown is only set with them
    }

    /** A replica's bit in a set of tried replicas (more than 64 share bits: some are then not tried). */
    static long bit(Replica r) {
        return 1L << (r.index() & 63);
    }

    Bootstrap bootstrap() {
        return bootstrap;
    }

    ChannelGroup allBackendChannels() {
        return allBackendChannels;
    }

    /** The app it serves. */
    public String app() {
        return app;
    }

    /** Where its first replica's connections go. */
    public InetSocketAddress address() {
        return replicas[0].address();
    }

    /** The Host a request without one is given (HTTP/1.0): the first replica's address (a shadow's copies). */
    String hostHeader() {
        return replicas[0].hostHeader();
    }

    /** What runs there, as the control plane named it (an image, a command, or the target). */
    public String version() {
        return version;
    }

    /**
     * Records a request that ended here: in the stats a canary is judged by, and for the metrics.
     *
     * @param nanos    the whole exchange, from the request head to the end of the response (metrics)
     * @param appNanos the app's part: from the whole request sent to the response head (the canary's stats)
     */
    void ended(int status, long nanos, long appNanos) {
        stats.record(status, appNanos);
        observer.ended(status, nanos);
    }

    /** What this backend's requests came to so far. */
    public RequestStats stats() {
        return stats;
    }

    /** Requests routed here whose response has not finished yet. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Connections parked idle in its replicas' pools now (read racily across loops). */
    public int idleConnections() {
        int n = 0;
        for (Replica r : replicas) {
            n += r.idleConnections();
        }
        return n;
    }

    /** Open connections to its replicas, busy or idle. */
    public int openConnections() {
        int n = 0;
        for (Replica r : replicas) {
            n += r.openConnections();
        }
        return n;
    }

    public boolean draining() {
        return draining;
    }

    /** Past its drain deadline (or shut down): no new connection may be opened to it. */
    boolean closed() {
        return closed;
    }

    /**
     * Counts a request in; false once draining has begun, so a request that raced a switch is
     * routed again (to the new backend) instead of slipping onto a drained one.
     */
    boolean tryEnter() {
        inFlight.incrementAndGet();
        if (draining) {
            exit();
            return false;
        }
        return true;
    }

    /** Counts a request out; the last one out of a draining backend completes its drain. */
    public void exit() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            idle.complete(null);
        }
    }

    /** A new connection on the given loop to a replica picked as a request would (a shadow's copy). */
    ChannelFuture connect(EventLoop loop) {
        return pick(0).connect(loop);
    }

    /** The answer to a connection that could not be created; logged at most once a minute. */
    ProxyError noConnection(Throwable cause) {
        long now = ticker.nanos();
        long last = lastNoConnectionLog.get();
        if (now - last > NO_CONNECTION_LOG_INTERVAL && lastNoConnectionLog.compareAndSet(last, now)) {
            long suppressed = noConnections.getAndSet(0);
            log.warn("cannot open a connection to {}: {}{}", target, cause.getMessage(),
                    suppressed > 0 ? " (and " + suppressed + " more since the last report)" : "");
        } else {
            noConnections.incrementAndGet();
        }
        return ProxyError.NO_CONNECTION;
    }

    /**
     * Closes a backend connection, also one that never got onto an event loop (its registration
     * failed, as it does when no file descriptor is left): close() would throw for that one.
     */
    static void close(Channel ch) {
        if (ch.isRegistered()) {
            ch.close();
        } else {
            ch.unsafe().closeForcibly();
        }
    }

    /**
     * Opens a connection on each loop and parks it, so that the first requests after a switch
     * find one ready instead of waiting for a connect. Call it before the flip (or right after it,
     * when the flip must not wait for them), from any thread. Each connection is opened by a task
     * on its own loop: a loop that stops refuses the task (or, stopping later, closes the
     * connection itself), where a connection made from another thread raced the loop's end, and
     * Netty logged an error for each.
     *
     * @return completes once every attempt succeeded, failed or was refused (it never fails)
     */
    public CompletableFuture<Void> prewarm(EventLoopGroup loops) {
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        for (Replica r : replicas) {
            for (EventExecutor executor : loops) {
                EventLoop loop = (EventLoop) executor;
                if (loop.isShuttingDown()) {
                    continue;
                }
                CompletableFuture<Void> attempt = new CompletableFuture<>();
                attempts.add(attempt);
                try {
                    loop.execute(() -> {
                        ChannelFuture connecting = r.connect(loop);
                        connecting.addListener(f -> park(loop, r, connecting, attempt));
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {     // the loop stopped meanwhile
                    attempt.complete(null);
                }
            }
        }
        return CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new));
    }

    /** Parks a connection opened ahead, from a task of its own: never from within the connect completion (see Exchange.connect). */
    private static void park(EventLoop loop, Replica r, ChannelFuture connecting, CompletableFuture<Void> attempt) {
        try {
            loop.execute(() -> {
                if (connecting.isSuccess()) {
                    BackendHandler.of(connecting.channel()).unbind();
                    r.release(connecting.channel());
                }
                attempt.complete(null);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // this runs on the loop, which refuses tasks in its last steps: ending, it closes every
            // channel registered on it (closing it here would ask the loop for a task again)
            attempt.complete(null);
        }
    }

    /** Gives up a backend that was never routed to (its health check failed): its connections close. */
    public void discard() {
        draining = true;
        closed = true;
        closeIdle();
        closeAll();
    }

    private void closeIdle() {
        for (Replica r : replicas) {
            r.closeIdle();
        }
    }

    /** Closes every connection to every replica; whatever one of them does, the others close. */
    private void closeAll() {
        for (Replica r : replicas) {
            r.closeAll();
        }
    }

    /**
     * Stops this backend taking requests and lets those in flight finish: idle connections close
     * now, busy ones when their exchange ends, and whatever is still open at the deadline is
     * closed and counted as forced.
     */
    public CompletableFuture<DrainResult> drain(Duration deadline, EventExecutor timer) {
        long start = ticker.nanos();
        draining = true;
        int atStart = inFlight.get();
        closeIdle();
        if (inFlight.get() == 0) {
            idle.complete(null);
        }
        CompletableFuture<DrainResult> result = new CompletableFuture<>();
        var forceClose = timer.schedule(() -> {
            int left = inFlight.get();
            closed = true;
            // the figures first: closing hands each straggler's connection to its own loop, where
            // its exit would otherwise race this task to complete the result as a clean drain
            result.complete(new DrainResult(target, atStart, Math.max(0, atStart - left), left,
                    Duration.ofNanos(ticker.nanos() - start)));
            closeAll();
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        idle.thenRun(() -> {
            forceClose.cancel(false);
            closeAll();
            result.complete(new DrainResult(target, atStart, atStart, 0,
                    Duration.ofNanos(ticker.nanos() - start)));
        });
        return result;
    }


    @Override
    public String toString() {
        return "Backend[" + (replicas.length == 1 ? target : targets) + ", inFlight=" + inFlight.get() + (draining ? ", draining]" : "]");
    }
}
