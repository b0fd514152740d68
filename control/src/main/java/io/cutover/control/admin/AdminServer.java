package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.proxy.ProxyServer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The admin HTTP listener; it shares the proxy's event loops. Bodies over 64 KiB are refused (413). */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final Channel listener;
    private final ChannelGroup connections;

    private AdminServer(Channel listener, ChannelGroup connections) {
        this.listener = listener;
        this.connections = connections;
    }

    /**
     * @param idleTimeout a connection with no bytes for this long is closed; it must exceed the
     *                    longest request (a switch waits for its health gate)
     */
    public static AdminServer start(InetSocketAddress address, ProxyServer proxy, AdminApi api, ObjectMapper json,
                                    Duration idleTimeout, AdminAuth auth) throws InterruptedException {
        ChannelGroup connections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
        Channel ch = new ServerBootstrap()
                .group(proxy.group())
                .channel(proxy.transport().serverChannel())
                .childHandler(new AdminInitializer(api, json, idleTimeout, connections, auth))
                .bind(address).sync().channel();
        AdminServer server = new AdminServer(ch, connections);
        log.info("admin API listening on {}", server.localAddress());
        return server;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
    }
}
