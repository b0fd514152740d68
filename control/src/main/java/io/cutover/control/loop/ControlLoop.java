package io.cutover.control.loop;

import io.cutover.proxy.Transport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control plane's event loop, apart from the proxy's so that nothing it does holds up
 * traffic: the admin listener and its requests, the health probes, the flip, and what follows
 * a drain all run here, one thread, never blocking (deploys run on threads of their own).
 */
public record ControlLoop(EventLoopGroup group, Transport transport) implements AutoCloseable {

    public static ControlLoop start(Transport transport) {
        return new ControlLoop(transport.newGroup(1), transport);
    }

    /** The loop's one thread, as an executor. */
    public EventLoop executor() {
        return group.next();
    }

    /** Daemon threads named {@code name-N} (for the threads that may block: deploys, the watcher). */
    public static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
