package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of a version: a {@link Target} of its {@link Backend}, with its own connections
 * (pooled per event loop: a pooled connection belongs to one replica and goes back to its pool),
 * its requests in flight, and whether it is up.
 *
 * <p>A replica is down for one of two reasons, and a down replica is skipped when a request picks
 * one (unless every replica of the version is down: then one is still tried).
 * <ul>
 *   <li><b>Held down</b> by {@link #markDown} (the control plane's active health check said so): it
 *       stays down until {@link #markUp}.</li>
 *   <li><b>Passively down</b>: a connection to it could not be opened (refused, timed out,
 *       unreachable). After a back-off ({@value #FIRST_BACKOFF_MS} ms, doubling with each failed
 *       trial up to {@value #MAX_BACKOFF_MS} ms) one request is let through as a trial (half-open):
 *       if its connection opens the replica is up again, if not the next back-off starts. Any
 *       connection that opens, and {@link #markUp}, bring it up at once.</li>
 * </ul>
 *
 * <p>The per-replica figures ({@link #inFlight}, {@link #requests}) are counted only when the
 * version has several replicas; the one replica of a single-replica version reports its
 * backend's, so that a single target costs nothing more than before.
 */
public final class Replica {
    private static final Logger log = LoggerFactory.getLogger(Replica.class);
    static final long FIRST_BACKOFF_MS = 1_000;
    static final long MAX_BACKOFF_MS = 10_000;

    private final Backend backend;
    private final int index;
    private final Target target;
    private final InetSocketAddress address;
    private final String hostHeader;
    private final BackendPool pool;
    private final ChannelGroup channels;
    /** Several replicas: this one counts its own requests. */
    private final boolean counted;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final AtomicLong ejections = new AtomicLong();
    /** Why the control plane holds it down, or null. */
    private volatile String heldDown;
    /** Why it is passively down (its last connect failed), or null. */
    private volatile String passiveDown;
    /** While passively down: when the next trial may go (ticker nanos); taken by one request. */
    private final AtomicLong trialAt = new AtomicLong();
    private volatile long backoffNanos = TimeUnit.MILLISECONDS.toNanos(FIRST_BACKOFF_MS);

    Replica(Backend backend, int index, Target target, InetSocketAddress address, int maxIdlePerLoop, boolean counted) {
        this.backend = backend;
        this.index = index;
        this.target = target;
        this.address = address;
        this.hostHeader = target.toString();
        this.pool = new BackendPool(maxIdlePerLoop);
        this.channels = new DefaultChannelGroup("backend " + target, GlobalEventExecutor.INSTANCE);
        this.counted = counted;
    }

    public Target target() {
        return target;
    }

    /** Where its connections go. */
    public InetSocketAddress address() {
        return address;
    }

    /** The version it is an instance of. */
    public Backend backend() {
        return backend;
    }

    /** Its place among its version's replicas (0 first). */
    int index() {
        return index;
    }

    /** The Host a request without one is given (HTTP/1.0): this replica's address. */
    String hostHeader() {
        return hostHeader;
    }

    /** Requests sent to it whose response has not finished yet. */
    public int inFlight() {
        return counted ? inFlight.get() : backend.inFlight();
    }

    /** Requests sent to it so far (a request tried again on another replica counts on both). */
    public long requests() {
        return counted ? requests.sum() : backend.stats().snapshot().requests() + backend.inFlight();
    }

    /** How often it went passively down (a connection to it failed while it was up). */
    public long ejections() {
        return ejections.get();
    }

    /** Open connections to it, busy or idle. */
    public int openConnections() {
        return channels.size();
    }

    /** Connections parked idle in its pools now (read racily across loops). */
    public int idleConnections() {
        return pool.size();
    }

    /** Whether requests are sent to it: neither held down nor passively down. */
    public boolean up() {
        return heldDown == null && passiveDown == null;
    }

    /** Why it is down (held down first), or null when it is up. */
    public String downReason() {
        String held = heldDown;
        return held != null ? held : passiveDown;
    }

    /** Whether it is down only passively (it gets trials), as opposed to held down. */
    public boolean passivelyDown() {
        return heldDown == null && passiveDown != null;
    }

    /** Takes it out of the rotation until {@link #markUp} (an active health check failed). */
    public void markDown(String why) {
        heldDown = why == null || why.isBlank() ? "marked down" : why;
    }

    /** Puts it back in the rotation now, whether it was held or passively down. */
    public void markUp() {
        heldDown = null;
        passiveUp();
    }

    /** A request is sent here (several replicas only: one replica counts nothing of its own). */
    void enter() {
        if (counted) {
            inFlight.incrementAndGet();
            requests.increment();
        }
    }

    /** A request sent here ended (or went on to another replica). */
    void exit() {
        if (counted) {
            inFlight.decrementAndGet();
        }
    }

    /**
     * Whether a pick may send a request here: up, or passively down with its trial due and taken
     * by this caller (one request per back-off).
     */
    boolean available(Ticker ticker) {
        if (heldDown != null) {
            return false;
        }
        if (passiveDown == null) {
            return true;
        }
        long at = trialAt.get();
        long now = ticker.nanos();
        return now - at >= 0 && trialAt.compareAndSet(at, now + backoffNanos);
    }

    /** A connection to it opened: a passively down replica is up again. */
    void connected() {
        if (passiveDown != null) {
            passiveUp();
            log.info("backend {} of {} accepts connections again: back in the rotation", target, backend.app());
        }
    }

    /** A connection to it could not be opened: it goes passively down, or its next trial backs off more. */
    void connectFailed(Throwable cause, Ticker ticker) {
        String why = "connect failed: " + (cause == null ? "closed" : cause.getMessage() == null
                ? cause.getClass().getSimpleName() : cause.getMessage());
        if (passiveDown == null) {
            long first = TimeUnit.MILLISECONDS.toNanos(FIRST_BACKOFF_MS);
            backoffNanos = first;
            trialAt.set(ticker.nanos() + first);
            passiveDown = why;
            ejections.incrementAndGet();
            log.warn("backend {} of {} is down ({}): its requests go to the other replicas, a trial in {} ms",
                    target, backend.app(), why, FIRST_BACKOFF_MS);
        } else {
            long next = Math.min(backoffNanos * 2, TimeUnit.MILLISECONDS.toNanos(MAX_BACKOFF_MS));
            backoffNanos = next;
            trialAt.set(ticker.nanos() + next);
            passiveDown = why;
        }
    }

    private void passiveUp() {
        passiveDown = null;
        backoffNanos = TimeUnit.MILLISECONDS.toNanos(FIRST_BACKOFF_MS);
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
        ChannelFuture connecting = backend.bootstrap().clone(loop).connect(address);
        if (!connecting.isDone() || connecting.isSuccess()) {
            channels.add(connecting.channel());
            backend.allBackendChannels().add(connecting.channel());
        }
        return connecting;
    }

    /** Parks a connection whose exchange ended cleanly, or closes it if it cannot be kept. */
    void release(Channel ch) {
        if (backend.draining() || !ch.isActive() || !pool.offer(ch)) {
            ch.close();
        }
    }

    /** Closes its parked connections, each on its own loop. */
    void closeIdle() {
        pool.closeAll();
    }

    /** Closes every connection to it; whatever one of them does, the others close. */
    void closeAll() {
        for (Channel ch : channels) {
            try {
                Backend.close(ch);
            } catch (RuntimeException e) {
                log.debug("closing a connection to {} failed", target, e);
            }
        }
    }

    @Override
    public String toString() {
        String down = downReason();
        return "Replica[" + target + ", inFlight=" + inFlight() + (down == null ? "]" : ", down: " + down + "]");
    }
}
