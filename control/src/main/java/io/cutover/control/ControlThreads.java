package io.cutover.control;

import io.cutover.proxy.Transport;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control plane's threads, apart from the proxy's event loops so that nothing it does can
 * hold up traffic: one event loop for the admin listener and the health probes, and a few
 * workers for admin requests and what follows a switch or a drain.
 */
public record ControlThreads(EventLoopGroup loop, Transport transport, ExecutorService work) implements AutoCloseable {

    public static ControlThreads start(Transport transport) {
        return new ControlThreads(transport.newGroup(1), transport,
                Executors.newFixedThreadPool(2, daemon("cutover-control")));
    }

    /** Daemon threads named {@code name-N}. */
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
        work.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
