package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringAdaptiveBufferRingAllocator;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;
import java.util.function.Supplier;

/** The socket transport: io_uring, epoll or NIO, chosen once at start-up. */
public enum Transport {
    IO_URING(IoUringIoHandler::newFactory, IoUringServerSocketChannel.class, IoUringSocketChannel.class),
    EPOLL(EpollIoHandler::newFactory, EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO(NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel.class);

    private final Supplier<IoHandlerFactory> handlers;
    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends Channel> channel;

    Transport(Supplier<IoHandlerFactory> handlers, Class<? extends ServerChannel> serverChannel,
              Class<? extends Channel> channel) {
        this.handlers = handlers;
        this.serverChannel = serverChannel;
        this.channel = channel;
    }

    /**
     * Picks the transport named in config: {@code auto} takes the fastest one this machine
     * supports (io_uring, then epoll, then NIO); a named native one that is not available fails.
     */
    public static Transport select(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace('-', '_');
        switch (n) {
            case "auto":
                if (IoUring.isAvailable()) {
                    return IO_URING;
                }
                return Epoll.isAvailable() ? EPOLL : NIO;
            case "io_uring":
                IoUring.ensureAvailability();
                return IO_URING;
            case "epoll":
                Epoll.ensureAvailability();
                return EPOLL;
            case "nio":
                return NIO;
            default:
                throw new IllegalArgumentException(
                        "unknown transport '" + name + "' (auto, io_uring, epoll or nio)");
        }
    }

    /** The buffer group the io_uring loops provide read buffers from. */
    static final short READ_BUFFERS = 1;

    /** Read buffers in each io_uring loop's ring. */
    static final int READ_RING_SIZE = 256;
    /**
     * The largest read buffer of the ring. The ring stays full while connections are idle, with
     * buffers of the size the last reads asked for: at Netty's default (64 KiB), one large
     * download left 2 x 256 x 64 KiB (32 MiB) resident for good. 16 KiB bounds it to 4 MiB a
     * loop, and reads a download in 16 KiB pieces.
     */
    static final int MAX_READ_BUFFER = 16 * 1024;

    /**
     * io_uring loops with a ring of read buffers the kernel picks from when data arrives (and
     * multishot receives), so that a connection waiting for data holds no buffer of its own.
     */
    private static IoHandlerFactory ioUringHandlers() {
        return IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setBufferRingConfig(
                IoUringBufferRingConfig.builder()
                        .bufferGroupId(READ_BUFFERS)
                        .bufferRingSize((short) READ_RING_SIZE)
                        .batchSize(32)
                        .allocator(new IoUringAdaptiveBufferRingAllocator(PooledByteBufAllocator.DEFAULT,
                                IoUringAdaptiveBufferRingAllocator.DEFAULT_MINIMUM,
                                IoUringAdaptiveBufferRingAllocator.DEFAULT_INITIAL, MAX_READ_BUFFER))
                        .build()));
    }

    /** Sets what connections of this transport need: io_uring's read from the loop's buffer ring. */
    public <B extends AbstractBootstrap<B, ?>> B connections(B bootstrap) {
        return this == IO_URING ? bootstrap.option(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, READ_BUFFERS) : bootstrap;
    }

    /** As {@link #connections}, for the connections a listener accepts. */
    public ServerBootstrap accepted(ServerBootstrap bootstrap) {
        return this == IO_URING ? bootstrap.childOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, READ_BUFFERS)
                : bootstrap;
    }

    /** Event loops for a few connections of their own (the control plane's). */
    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, handlers.get());
    }

    /**
     * Event loops for many connections (the proxy's): io_uring's come with a ring of read
     * buffers (see {@link #connections}).
     */
    public EventLoopGroup newProxyGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, this == IO_URING ? ioUringHandlers() : handlers.get());
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends Channel> channel() {
        return channel;
    }

    /**
     * Lets the kernel hold a new connection back until its first bytes arrive (for up to
     * {@code seconds}), so accepting and reading it is one wake-up of the loop, not two; where
     * the transport has the option (not NIO).
     */
    public ServerBootstrap deferAccept(ServerBootstrap bootstrap, int seconds) {
        return switch (this) {
            case IO_URING -> bootstrap.option(IoUringChannelOption.TCP_DEFER_ACCEPT, seconds);
            case EPOLL -> bootstrap.option(EpollChannelOption.TCP_DEFER_ACCEPT, seconds);
            case NIO -> bootstrap;
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
