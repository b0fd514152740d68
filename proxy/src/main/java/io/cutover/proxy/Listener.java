package io.cutover.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.unix.UnixChannelOption;
import java.net.InetSocketAddress;

/**
 * Where a listening socket comes from: bound here, or adopted from another process (the
 * cutover it takes over from, or systemd), already bound and listening. An adopted socket is
 * the same socket, with the same accept queue, as the other process's: nothing queued on it is
 * lost when that process stops accepting.
 */
public sealed interface Listener {

    /** Opens the listener with {@code bootstrap}; it accepts as soon as the future completes. */
    ChannelFuture open(ServerBootstrap bootstrap, Transport transport);

    /** What the listener is, for messages: an address, or an inherited descriptor. */
    String describe();

    /**
     * A socket bound here. With {@code reusePort} other sockets of this user may join its
     * address (SO_REUSEPORT): the kernel spreads new connections among them, and with
     * {@code net.ipv4.tcp_migrate_req = 1} moves those queued on one that closes to another.
     */
    record Bind(InetSocketAddress address, boolean reusePort) implements Listener {
        public Bind(InetSocketAddress address) {
            this(address, false);
        }

        @Override
        public ChannelFuture open(ServerBootstrap bootstrap, Transport transport) {
            if (reusePort && transport != Transport.NIO) {
                bootstrap.option(UnixChannelOption.SO_REUSEPORT, true);
            }
            return bootstrap.channel(transport.serverChannel()).bind(address);
        }

        @Override
        public String describe() {
            return address.getAddress().getHostAddress() + ":" + address.getPort();
        }
    }

    /**
     * A listening socket this process was given (its descriptor number). Netty adopts one only
     * on epoll, so the listener and every connection it accepts run on epoll.
     */
    record Adopt(int fd) implements Listener {
        @Override
        public ChannelFuture open(ServerBootstrap bootstrap, Transport transport) {
            if (transport != Transport.EPOLL) {
                throw new IllegalStateException("an inherited socket is adopted on epoll only, not " + transport);
            }
            return bootstrap.channelFactory(() -> new EpollServerSocketChannel(fd)).register();
        }

        @Override
        public String describe() {
            return "inherited descriptor " + fd;
        }
    }

    /** The descriptor of an open listener, to hand it to another process (none on NIO). */
    static int descriptor(Channel listener) {
        if (listener instanceof UnixChannel unix) {
            return unix.fd().intValue();
        }
        throw new IllegalStateException("a " + listener.getClass().getSimpleName() + " has no descriptor to hand over");
    }
}
