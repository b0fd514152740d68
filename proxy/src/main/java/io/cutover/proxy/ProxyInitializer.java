package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Wires a client connection: the PROXY protocol header decoder (when the listener expects one),
 * request-start watch, HTTP server codec, {@link FrontendHandler}.
 */
final class ProxyInitializer extends ChannelInitializer<Channel> {
    private final Router router;
    private final ProxySettings settings;
    private final ChannelGroup clients;

    ProxyInitializer(Router router, ProxySettings settings, ChannelGroup clients) {
        this.router = router;
        this.settings = settings;
        this.clients = clients;
    }

    @Override
    protected void initChannel(Channel ch) {
        clients.add(ch);
        FrontendHandler front = new FrontendHandler(router, settings);
        if (settings.proxyProtocol()) {
            ch.pipeline().addLast(new HAProxyMessageDecoder());    // removes itself after the header
        }
        ch.pipeline().addLast(
                new RequestStart(front),
                new HttpServerCodec(settings.decoderConfig()),
                front);
    }
}
