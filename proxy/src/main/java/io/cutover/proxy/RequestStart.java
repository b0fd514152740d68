package io.cutover.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits before the HTTP codec and tells the frontend when bytes arrive, so it can time how long a
 * request head takes once it has begun (a slowloris client sends one byte at a time).
 */
final class RequestStart extends ChannelInboundHandlerAdapter {
    private final FrontendHandler front;

    RequestStart(FrontendHandler front) {
        this.front = front;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        front.bytesArrived();
        ctx.fireChannelRead(msg);
    }
}
