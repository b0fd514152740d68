package io.cutover.proxy;

import io.cutover.proxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One copy of a request to a {@link Shadow}'s candidate, on a connection of its own (opened on
 * the client's event loop, so everything here runs on that one thread), read to the end of its
 * response and closed. It pairs what the candidate answered (status, time from the request sent
 * to the response head; 0 for no answer: refused, reset, timed out, malformed) with what the
 * active version answered, which the client's exchange tells it ({@link #live}), and records the
 * pair once both are known. Nothing here reaches back into the client's connection.
 */
final class ShadowCopy extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ShadowCopy.class);
    private static final int PENDING = -1;
    /** No answer from the candidate. */
    static final int FAILED = 0;

    private final Shadow shadow;
    private final boolean headRequest;
    private final EventLoop loop;
    /** The request's bytes until they are written (or released, when they never will be). */
    private ByteBuf request;
    private Channel channel;
    private ScheduledFuture<?> timeout;
    private long sentNanos;
    private int shadowStatus = PENDING;
    private long shadowNanos;
    private int liveStatus = PENDING;
    private long liveNanos;
    private boolean ended;

    ShadowCopy(Shadow shadow, ByteBuf request, boolean headRequest, EventLoop loop) {
        this.shadow = shadow;
        this.request = request;
        this.headRequest = headRequest;
        this.loop = loop;
    }

    /** Opens the copy's connection; the request goes once it is open. */
    void start() {
        sentNanos = shadow.ticker().nanos();
        timeout = loop.schedule(this::timedOut, shadow.timeoutNanos(), TimeUnit.NANOSECONDS);
        ChannelFuture connecting;
        try {
            connecting = shadow.candidate().connect(loop);
        } catch (RuntimeException e) {
            answered(FAILED);
            end();
            return;
        }
        channel = connecting.channel();
        // carried on as a task of its own, as Exchange.connect does (io_uring; a failure at once on another thread)
        connecting.addListener(f -> loop.execute(() -> onConnected(connecting)));
    }

    private void onConnected(ChannelFuture connecting) {
        Channel ch = connecting.channel();
        if (ended) {
            Backend.close(ch);
            return;
        }
        if (!connecting.isSuccess() || ch.pipeline().get(BackendHandler.class) == null) {
            answered(FAILED);
            end();
            return;
        }
        ch.pipeline().replace(BackendHandler.class, "shadow", this);
        ch.pipeline().get(ResponseDecoder.class).expect(headRequest, false);
        ByteBuf r = request;
        request = null;
        sentNanos = shadow.ticker().nanos();
        ch.writeAndFlush(r, ch.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ResponseHead h) {
            try {
                if (!h.informational()) {
                    answered(h.status());
                }
            } finally {
                h.release();
            }
        } else if (msg instanceof Signal || msg instanceof Refused) {
            if (msg instanceof Refused r) {
                log.debug("shadow copy to {}: {}", shadow.candidate().target(), r.cause().getMessage());
            }
            answered(FAILED);       // no effect once the head came: a body cut short is not counted
            end();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        answered(FAILED);
        end();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("shadow copy to {} failed", shadow.candidate().target(), cause);
        answered(FAILED);
        end();
    }

    private void timedOut() {
        timeout = null;
        answered(FAILED);
        end();
    }

    /** The candidate answered {@code status} (first call only). */
    private void answered(int status) {
        if (shadowStatus != PENDING) {
            return;
        }
        shadowStatus = status;
        shadowNanos = shadow.ticker().nanos() - sentNanos;
        pair();
    }

    /**
     * The active version's answer to the same request, when its exchange ended: {@code status} as
     * its stats count it (0 for a failure of the proxy's own; a client that left is no answer).
     */
    void live(int status, long appNanos) {
        if (liveStatus == PENDING) {
            liveStatus = status;
            liveNanos = appNanos;
            pair();
        }
    }

    private void pair() {
        if (liveStatus != PENDING && shadowStatus != PENDING) {
            shadow.stats().record(liveStatus, liveNanos, shadowStatus, shadowNanos);
        }
    }

    /** Done: the connection closes, the request's bytes (if never sent) are released, the place is free. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        if (request != null) {
            request.release();
            request = null;
        }
        if (channel != null) {
            Backend.close(channel);
        }
        shadow.ended();
    }
}
