package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.loop.ControlLoop;
import io.cutover.proxy.ListenFailure;
import io.cutover.proxy.Listener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener, on the control plane's own event loop (never the proxy's). Bodies
 * over 64 KiB are refused (413).
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /**
     * @param idleTimeout a connection with no bytes for this long is closed; it must exceed the
     *                    longest request (a switch waits for its health gate)
     * @param hosts       names the API answers as its Host besides IP addresses and localhost
     */
    /**
     * @param socket    the unix socket to serve the API on too (cutover.admin-socket), if any
     * @param replacing this process takes over from a cutover that may still listen on that socket:
     *                  it is bound aside, and moved to its path by {@link #publishUnixSocket} once
     *                  the takeover succeeded
     */
    public record Settings(Listener listener, Duration idleTimeout, AdminAuth auth, java.util.List<String> hosts,
                           java.util.Optional<java.nio.file.Path> socket, boolean replacing) {
    }

    private final Channel listener;
    private final ChannelGroup connections;
    private final UnixAdminListener unix;
    /** The unix socket's own loop when the control loop is not epoll's; else null. */
    private final io.netty.channel.EventLoopGroup unixLoop;

    private AdminServer(Channel listener, ChannelGroup connections, UnixAdminListener unix,
                        io.netty.channel.EventLoopGroup unixLoop) {
        this.listener = listener;
        this.connections = connections;
        this.unix = unix;
        this.unixLoop = unixLoop;
    }

    public static AdminServer start(Settings settings, ControlLoop control, AdminApi api, ObjectMapper json)
            throws InterruptedException {
        ChannelGroup connections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
        AdminInitializer initializer = new AdminInitializer(
                new AdminHandler(api, json, settings.auth(), new FrontDoor(settings.hosts())),
                settings.idleTimeout(), connections);
        ServerBootstrap bootstrap = control.transport().deferAccept(new ServerBootstrap(), 5)
                .group(control.group())
                .childHandler(initializer);
        ChannelFuture bound;
        try {
            bound = settings.listener().open(bootstrap, control.transport()).await();
        } catch (RuntimeException e) {
            throw new ListenFailure("admin API", settings.listener().describe(), e);
        }
        if (!bound.isSuccess()) {
            throw new ListenFailure("admin API", settings.listener().describe(), bound.cause());
        }
        UnixAdminListener unix = null;
        io.netty.channel.EventLoopGroup unixLoop = null;
        if (settings.socket().isPresent()) {
            try {
                if (!io.netty.channel.epoll.Epoll.isAvailable()) {
                    throw new ListenFailure("admin API", "unix:" + settings.socket().get(),
                            new IllegalStateException("a unix socket needs epoll (Linux)"));
                }
                io.netty.channel.EventLoopGroup group = control.group();
                if (control.transport() != io.cutover.proxy.Transport.EPOLL) {
                    unixLoop = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                            io.netty.channel.epoll.EpollIoHandler.newFactory());
                    group = unixLoop;
                }
                unix = settings.replacing()
                        ? UnixAdminListener.bindAside(settings.socket().get(), true, group, initializer)
                        : UnixAdminListener.bind(settings.socket().get(), false, group, initializer);
            } catch (RuntimeException e) {
                bound.channel().close().syncUninterruptibly();
                if (unixLoop != null) {
                    unixLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
                }
                throw e;
            }
        }
        AdminServer server = new AdminServer(bound.channel(), connections, unix, unixLoop);
        log.info("admin API listening on {}", server.localAddress());
        if (unix != null && !settings.replacing()) {
            log.info("admin API listening on unix:{} (mode 0600; this user and root only, no token)", unix.path());
        }
        return server;
    }

    /**
     * Moves a unix socket bound aside in a takeover to its path, over the one of the cutover this
     * one replaced (whose open connections finish). A failure is logged: the API goes on over TCP.
     */
    public void publishUnixSocket() {
        if (unix == null) {
            return;
        }
        try {
            unix.publish();
            log.info("admin API listening on unix:{} (mode 0600; this user and root only, no token)", unix.path());
        } catch (ListenFailure e) {
            log.error("{}: the admin API answers over TCP only", e.getMessage());
        }
    }

    /** The listening socket's descriptor, to hand it to a cutover taking over. */
    public int listenerDescriptor() {
        return Listener.descriptor(listener);
    }

    /** Stops accepting (another process accepts from now on); requests under way finish. */
    public void stopAccepting() {
        listener.close().syncUninterruptibly();
        if (unix != null) {
            unix.close();   // the path is the new cutover's by now: it stays
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    /**
     * Stops accepting; a connection waiting for its reply (a switch, an upgrade) closes once it
     * is written (for up to 5 s), the others at once.
     */
    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        if (unix != null) {
            unix.close();
        }
        for (Channel ch : connections) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(AdminHandler.CLOSING));
        }
        connections.newCloseFuture().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly();
        if (unixLoop != null) {
            unixLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(5,
                    java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
