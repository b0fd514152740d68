package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/** Wires a backend connection: {@link ResponseDecoder}, {@link BackendHandler}. */
final class BackendInitializer extends ChannelInitializer<Channel> {
    private final ProxySettings settings;
    private final Ticker ticker;

    BackendInitializer(ProxySettings settings, Ticker ticker) {
        this.settings = settings;
        this.ticker = ticker;
    }

    @Override
    protected void initChannel(Channel ch) {
        ResponseDecoder decoder = new ResponseDecoder(settings);
        ch.pipeline().addLast(decoder, new BackendHandler(settings.backendIdleTimeout(), decoder, ticker));
    }
}
