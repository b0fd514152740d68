package io.cutover.bench;

import io.cutover.proxy.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.Errors;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling for any Netty proxy on this machine: a TCP relay that parses nothing, one backend
 * connection per client connection on the client's event loop, bytes passed on as read (auto-read
 * off while the other side cannot take more). What an HTTP proxy built the same way can reach
 * at most; compare.sh runs it beside the proxies.
 *
 * <pre>RelayCeiling LISTEN_PORT BACKEND_HOST:PORT SECONDS</pre>
 * Runs for SECONDS, then stops (bounded); loopback only.
 */
public final class RelayCeiling {
    private RelayCeiling() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String[] hp = args[1].split(":");
        InetSocketAddress backend = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        long seconds = Long.parseLong(args[2]);
        Transport transport = Transport.select("auto");
        EventLoopGroup group = transport.newProxyGroup(Runtime.getRuntime().availableProcessors());
        try {
            Channel listener = transport.accepted(new ServerBootstrap()).group(group).channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel client) {
                            client.pipeline().addLast(new Front(transport, backend));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
            System.out.println("relay listening on " + listener.localAddress() + " transport=" + transport);
            TimeUnit.SECONDS.sleep(seconds);
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** The client side: opens the backend connection, then relays. */
    private static final class Front extends ChannelInboundHandlerAdapter {
        private final Transport transport;
        private final InetSocketAddress backend;
        private Channel upstream;

        Front(Transport transport, InetSocketAddress backend) {
            this.transport = transport;
            this.backend = backend;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            upstream = transport.connections(new Bootstrap()).group(client.eventLoop()).channel(transport.channel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .handler(new Relay(client))
                    .connect(backend)
                    .addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            client.read();
                            f.channel().read();
                        } else {
                            client.close();
                        }
                    }).channel();
            client.pipeline().addLast(new Relay(upstream));
            client.pipeline().remove(this);
        }
    }

    /** Passes what one side reads to the other; reads again once that was written. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Relay(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            other.write(msg, other.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            other.flush();
            if (other.isWritable()) {
                ctx.channel().read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                other.read();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof Errors.NativeIoException)) {
                cause.printStackTrace();
            }
            ctx.close();
        }
    }
}
