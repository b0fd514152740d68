package io.cutover.control.loop;

import io.cutover.proxy.Transport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's event loop, apart from the proxy's so that nothing it does holds up
 * traffic: the admin listener and its requests, the health probes, the flip, and what follows
 * a drain all run here, one thread, never blocking (deploys run on threads of their own).
 * Built by the root's {@code Wiring}.
 */
public record ControlLoop(EventLoopGroup group, Transport transport) implements AutoCloseable {

    /** The loop's one thread, as an executor. */
    public EventLoop executor() {
        return group.next();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
