package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a backend connection. While an {@link Exchange} holds the connection it
 * passes every event to it; while the connection is parked in the pool it keeps one read
 * pending, so a backend that closes an idle connection (or sends anything unasked) is noticed at
 * once and the connection is dropped instead of being handed to the next request.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    private Exchange exchange;

    static BackendHandler of(Channel ch) {
        return ch.pipeline().get(BackendHandler.class);
    }

    void bind(Exchange owner) {
        this.exchange = owner;
    }

    void unbind() {
        this.exchange = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (exchange != null) {
            exchange.onResponse(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onResponseReadComplete();
        } else if (ctx.channel().isActive()) {
            ctx.read();
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
            owner.onBackendClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Exchange owner = exchange;
        exchange = null;
        ctx.close();
        if (owner != null) {
            owner.onBackendClosed(cause);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && exchange == null) {
            ctx.close();    // parked longer than the backend idle timeout
        }
    }
}
