package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** Wires a backend connection: idle timer, HTTP client codec, {@link BackendHandler}. */
final class BackendInitializer extends ChannelInitializer<Channel> {
    private final ProxySettings settings;

    BackendInitializer(ProxySettings settings) {
        this.settings = settings;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast(
                new IdleStateHandler(0, 0, settings.backendIdleTimeout().toNanos(), TimeUnit.NANOSECONDS),
                new HttpClientCodec(settings.decoderConfig(), false, false),
                new BackendHandler());
    }
}
