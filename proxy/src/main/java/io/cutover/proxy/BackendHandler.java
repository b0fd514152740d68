package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a backend connection. While an {@link Exchange} holds the connection it
 * passes every message to it; while the connection is parked in the pool it keeps reading, so a
 * backend that closes an idle connection (or sends anything unasked) is noticed at once and the
 * connection is dropped instead of being handed to the next request.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(BackendHandler.class);
    private final long idleTimeoutNanos;
    private final ResponseDecoder decoder;
    private final Ticker ticker;
    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private long parkedSince = -1;
    private ScheduledFuture<?> idleTimer;

    BackendHandler(Duration idleTimeout, ResponseDecoder decoder, Ticker ticker) {
        this.ticker = ticker;
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.decoder = decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    static BackendHandler of(Channel ch) {
        return ch.pipeline().get(BackendHandler.class);
    }

    /**
     * An exchange takes the connection for its request.
     *
     * @param headRequest the request is a HEAD
     * @param dechunk     the client speaks HTTP/1.0: chunked bodies lose their framing
     */
    void bind(Exchange owner, boolean headRequest, boolean dechunk) {
        this.exchange = owner;
        this.parkedSince = -1;
        decoder.expect(headRequest, dechunk);
    }

    /** The exchange let go: the connection is parked (or about to be closed). */
    void unbind() {
        this.exchange = null;
        this.parkedSince = ticker.nanos();
        ctx.channel().config().setAutoRead(true);   // a parked connection keeps reading to notice a close
        if (idleTimer == null && ctx.channel().isActive()) {
            idleTimer = ctx.executor().schedule(this::checkIdle, idleTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes a connection parked longer than the backend idle timeout. */
    private void checkIdle() {
        idleTimer = null;
        if (exchange != null || parkedSince < 0 || !ctx.channel().isActive()) {
            return;     // busy again: the next unbind schedules the next check
        }
        long parked = ticker.nanos() - parkedSince;
        if (parked >= idleTimeoutNanos) {
            ctx.close();
        } else {
            idleTimer = ctx.executor().schedule(this::checkIdle, idleTimeoutNanos - parked, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (exchange != null) {
            exchange.onResponse(msg);
        } else {
            // bytes on a parked connection: nobody asked for them, so they are nobody's response
            if (log.isDebugEnabled()) {
                log.debug("backend connection {} sent bytes while idle: closed, the bytes dropped", ctx.channel().remoteAddress());
            }
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onResponseReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.onBackendWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange owner = exchange;
        exchange = null;
        if (owner != null) {
            owner.onBackendClosed(null, decoder.began());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Exchange owner = exchange;
        exchange = null;
        ctx.close();
        if (owner != null) {
            owner.onBackendClosed(cause, decoder.began());
        }
    }
}
