package io.cutover.proxy;

import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One timer per client connection for its idle timeout, the time its request head may take
 * once begun, and its exchange's response deadline. It is only rescheduled when a deadline
 * earlier than the pending one appears, so the usual request schedules nothing.
 */
final class ClientTimer {
    private final ChannelHandlerContext ctx;
    private final FrontendHandler front;
    private final long idleNanos;
    private final long headNanos;
    private final Ticker ticker;
    private long idleSince = -1;
    private long headStartedAt = -1;
    private ScheduledFuture<?> pending;
    private long pendingAt;

    ClientTimer(ChannelHandlerContext ctx, FrontendHandler front, ProxySettings settings, Ticker ticker) {
        this.ticker = ticker;
        this.ctx = ctx;
        this.front = front;
        this.idleNanos = settings.clientIdleTimeout().toNanos();
        this.headNanos = settings.requestHeadTimeout().toNanos();
    }

    /** Nothing is under way: the idle timeout runs. */
    void idle() {
        idleSince = ticker.nanos();
        arm(idleSince + idleNanos);
    }

    /** An exchange runs: the connection is not idle. */
    void busy() {
        idleSince = -1;
    }

    /** A request head has begun: it must be whole within the head timeout. */
    void headStarted() {
        if (headStartedAt < 0) {
            headStartedAt = ticker.nanos();
            arm(headStartedAt + headNanos);
        }
    }

    /** Whether a request head has begun and is not whole yet (its own timeout runs). */
    boolean headInProgress() {
        return headStartedAt >= 0;
    }

    void headDone() {
        headStartedAt = -1;
    }

    /** Makes sure the timer goes off by {@code deadline} (a {@link Ticker} value). */
    void arm(long deadline) {
        if (pending != null && deadline - pendingAt >= 0) {
            return;
        }
        if (pending != null) {
            pending.cancel(false);
        }
        pendingAt = deadline;
        pending = ctx.executor().schedule(this::fire, Math.max(0, deadline - ticker.nanos()), TimeUnit.NANOSECONDS);
    }

    /** Arms the next of the connection's own deadlines (idle, head) after a check found none passed. */
    void rearm(long now) {
        if (pending != null) {
            return;
        }
        long next = idleSince >= 0 ? idleSince + idleNanos : now + idleNanos;
        arm(headStartedAt >= 0 ? Math.min(next, headStartedAt + headNanos) : next);
    }

    void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    private void fire() {
        pending = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = ticker.nanos();
        boolean headTimedOut = headStartedAt >= 0 && now - headStartedAt >= headNanos;
        boolean idleTimedOut = idleSince >= 0 && now - idleSince >= idleNanos;
        front.onTimer(now, headTimedOut, idleTimedOut);
    }
}
