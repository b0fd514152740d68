package io.cutover.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
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
 * One routable upstream: its connections (pooled per event loop), the requests in flight on it,
 * and its drain. A backend is created when traffic is switched to a target and drained when
 * traffic is switched away; it is never reused after a drain.
 */
public final class Backend {
    private final String app;
    private final Target target;
    private final String hostHeader;
    private final String version;
    private final TrafficObserver.RequestObserver observer;
    private final InetSocketAddress address;
    private final Bootstrap bootstrap;
    private final BackendPool pool;
    private final ChannelGroup channels;
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
        this.ticker = ticker;
        this.lastNoConnectionLog = new AtomicLong(ticker.nanos() - NO_CONNECTION_LOG_INTERVAL - 1);
        this.app = app;
        this.target = target;
        this.hostHeader = target.toString();
        this.version = version;
        this.observer = observer;
        this.address = address;
        this.bootstrap = bootstrap;
        this.pool = new BackendPool(maxIdlePerLoop);
        this.channels = new DefaultChannelGroup("backend " + target, GlobalEventExecutor.INSTANCE);
        this.allBackendChannels = allBackendChannels;
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

    public Target target() {
        return target;
    }

    /** The app it serves. */
    public String app() {
        return app;
    }

    /** Where its connections go. */
    public InetSocketAddress address() {
        return address;
    }

    /** The Host a request without one is given (HTTP/1.0): this backend's address. */
    String hostHeader() {
        return hostHeader;
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

    /** Connections parked idle in this backend's pools now (read racily across loops). */
    public int idleConnections() {
        return pool.size();
    }

    /** Open connections to this backend, busy or idle. */
    public int openConnections() {
        return channels.size();
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

    /** A parked connection of this loop, or null. */
    Channel pooled(EventLoop loop) {
        return pool.poll(loop);
    }

    /**
     * A new connection on the given loop (the client's, so both sides share one thread). One
     * that could not even be created (no file descriptor left) fails at once and is kept in no
     * group: closing a group must never meet a channel that never was.
     */
    ChannelFuture connect(EventLoop loop) {
        ChannelFuture connecting = bootstrap.clone(loop).connect(address);
        if (!connecting.isDone() || connecting.isSuccess()) {
            channels.add(connecting.channel());
            allBackendChannels.add(connecting.channel());
        }
        return connecting;
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
     * find one ready instead of waiting for a connect. Call it before the flip, from any thread.
     *
     * @return completes once every attempt succeeded or failed (it never fails)
     */
    public CompletableFuture<Void> prewarm(EventLoopGroup loops) {
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        for (EventExecutor executor : loops) {
            EventLoop loop = (EventLoop) executor;
            CompletableFuture<Void> attempt = new CompletableFuture<>();
            attempts.add(attempt);
            ChannelFuture connecting = connect(loop);
            // parked from a task of its own: never from within the connect completion (see Exchange.connect)
            connecting.addListener(f -> loop.execute(() -> {
                if (f.isSuccess()) {
                    BackendHandler.of(connecting.channel()).unbind();
                    release(connecting.channel());
                }
                attempt.complete(null);
            }));
        }
        return CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new));
    }

    /** Gives up a backend that was never routed to (its health check failed): its connections close. */
    public void discard() {
        draining = true;
        closed = true;
        pool.closeAll();
        closeAll();
    }

    /** Closes every connection to this backend; whatever one of them does, the others close. */
    private void closeAll() {
        for (Channel ch : channels) {
            try {
                close(ch);
            } catch (RuntimeException e) {
                log.debug("closing a connection to {} failed", target, e);
            }
        }
    }

    /** Parks a connection whose exchange ended cleanly, or closes it if it cannot be kept. */
    void release(Channel ch) {
        if (draining || !ch.isActive() || !pool.offer(ch)) {
            ch.close();
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
        pool.closeAll();
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
        return "Backend[" + target + ", inFlight=" + inFlight.get() + (draining ? ", draining]" : "]");
    }
}
