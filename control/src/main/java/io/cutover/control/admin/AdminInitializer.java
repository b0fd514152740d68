package io.cutover.control.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Wires an admin connection: read timeout, HTTP codec, whole-body aggregation (64 KiB cap), handler. */
final class AdminInitializer extends ChannelInitializer<Channel> {
    private static final int MAX_BODY = 64 * 1024;

    private final AdminHandler handler;
    private final Duration idleTimeout;
    private final ChannelGroup connections;

    AdminInitializer(AdminHandler handler, Duration idleTimeout, ChannelGroup connections) {
        this.handler = handler;
        this.idleTimeout = idleTimeout;
        this.connections = connections;
    }

    @Override
    protected void initChannel(Channel ch) {
        connections.add(ch);
        ch.pipeline().addLast(
                new IdleStateHandler(idleTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                new HttpServerCodec(),
                new HttpObjectAggregator(MAX_BODY),
                handler);
    }
}
