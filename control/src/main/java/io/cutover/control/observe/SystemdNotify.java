package io.cutover.control.observe;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how cutover is doing ({@code sd_notify}, for a {@code Type=notify} service):
 * READY=1 once it accepts, STOPPING=1 when it stops, and, after a takeover, MAINPID of the new
 * process (which needs {@code NotifyAccess=all}), so that systemd follows the new process and
 * not the one that hands over and exits. Nothing without {@code NOTIFY_SOCKET}.
 */
public final class SystemdNotify implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

    private final DomainSocketAddress socket;
    private EventLoopGroup loop;
    private Channel channel;

    private SystemdNotify(DomainSocketAddress socket) {
        this.socket = socket;
    }

    /** From {@code NOTIFY_SOCKET} ("@name" is an abstract socket); a notifier that does nothing without it. */
    public static SystemdNotify fromEnvironment(Map<String, String> env) {
        String path = env.get("NOTIFY_SOCKET");
        if (path == null || path.isEmpty() || !Epoll.isAvailable()) {
            return new SystemdNotify(null);
        }
        return new SystemdNotify(new DomainSocketAddress(path.startsWith("@") ? "\0" + path.substring(1) : path));
    }

    /** READY=1, with this process as the service's main one (after a takeover, instead of the old one). */
    public void ready(String status) {
        send("MAINPID=" + ProcessHandle.current().pid() + "\nREADY=1\nSTATUS=" + status);
    }

    /** STOPPING=1: a graceful stop began (not a takeover: the new process is the service now). */
    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + status);
    }

    private synchronized void send(String message) {
        if (socket == null) {
            return;
        }
        try {
            if (channel == null) {
                loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                channel = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                        .handler(new ChannelInboundHandlerAdapter()).connect(socket).sync().channel();
            }
            channel.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8)).sync();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("could not notify systemd at {}: {}", socket.path(), e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (loop != null) {
            channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            loop = null;
            channel = null;
        }
    }
}
