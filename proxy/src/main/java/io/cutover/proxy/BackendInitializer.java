package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;

/** Wires a backend connection: HTTP client codec, {@link BackendHandler}. */
final class BackendInitializer extends ChannelInitializer<Channel> {
    private final ProxySettings settings;

    BackendInitializer(ProxySettings settings) {
        this.settings = settings;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast(
                new HttpClientCodec(settings.decoderConfig(), false, false),
                new BackendHandler(settings.backendIdleTimeout()));
    }
}
