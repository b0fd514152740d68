package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;

/**
 * Wires a client connection: the PROXY protocol header decoder (when the listener expects one),
 * {@link RequestDecoder}, {@link FrontendHandler}.
 */
final class ProxyInitializer extends ChannelInitializer<Channel> {
    private final Routing routing;
    private final ProxySettings settings;
    private final ChannelGroup clients;
    private final AccessLogSlot accessLog;
    private final LocalAnswers answers;
    private final Ticker ticker;

    ProxyInitializer(Routing routing, ProxySettings settings, ChannelGroup clients) {
        this(routing, settings, clients, new AccessLogSlot(), Ticker.SYSTEM);
    }

    ProxyInitializer(Routing routing, ProxySettings settings, ChannelGroup clients, AccessLogSlot accessLog,
                     Ticker ticker) {
        this.routing = routing;
        this.settings = settings;
        this.clients = clients;
        this.accessLog = accessLog;
        this.answers = new LocalAnswers(accessLog);
        this.ticker = ticker;
    }

    @Override
    protected void initChannel(Channel ch) {
        clients.add(ch);
        if (settings.proxyProtocol()) {
            ch.pipeline().addLast(new HAProxyMessageDecoder());    // removes itself after the header
        }
        RequestDecoder decoder = new RequestDecoder(settings);
        ch.pipeline().addLast(decoder, new FrontendHandler(routing, settings, decoder, accessLog, answers, ticker));
    }
}
