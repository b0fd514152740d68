package io.cutover.proxy;

import io.cutover.proxy.http.HeadParser;
import io.cutover.proxy.http.RequestHead;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the routing unit tests (no sockets) route with: backends that never connect (nothing in
 * these tests opens a connection) and parsed request heads, released when the test ends.
 */
final class RoutingUnits implements AutoCloseable {
    private final List<RequestHead> heads = new ArrayList<>();

    /** A backend of {@code app} at 127.0.0.1:{@code port}, named {@code version}; it is never connected to. */
    static Backend backend(String app, int port, String version) {
        Bootstrap nowhere = new Bootstrap().channel(NioSocketChannel.class).handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
            }
        });
        Target t = new Target("127.0.0.1", port);
        return new Backend(app, t, t.resolve(), version, TrafficObserver.NONE.forBackend(app, t, version), nowhere, 1,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    static Backend backend(int port) {
        return backend(Router.DEFAULT_APP, port, "v" + port);
    }

    /** A request head parsed from {@code head} (CRLFs and the blank line added). */
    RequestHead head(String... lines) {
        String text = String.join("\r\n", lines) + "\r\n\r\n";
        try {
            RequestHead h = HeadParser.parseRequest(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
            heads.add(h);
            return h;
        } catch (Exception e) {
            throw new AssertionError("not a request head: " + text, e);
        }
    }

    /** GET {@code target} with Host {@code host}. */
    RequestHead get(String host, String target) {
        return head("GET " + target + " HTTP/1.1", "Host: " + host);
    }

    @Override
    public void close() {
        heads.forEach(RequestHead::release);
        heads.clear();
    }
}
