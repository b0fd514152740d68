package io.cutover.proxy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A proxy on 127.0.0.1, port 0, switched directly through its router (no health gate). */
public final class TestProxy implements AutoCloseable {
    private final ProxyServer server;

    private TestProxy(ProxySettings settings, int eventLoops) throws InterruptedException {
        this.server = ProxyServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), settings,
                transport(), eventLoops);
    }

    /**
     * The transport this test run is for, from {@code -Dcutover.transport} (set by each surefire
     * execution). A named native transport that is not available fails instead of falling back,
     * so a run meant for io_uring never passes on epoll.
     */
    public static Transport transport() {
        String name = System.getProperty("cutover.transport");
        if (name == null) {
            throw new IllegalStateException("-Dcutover.transport is not set: each test run names its transport");
        }
        return Transport.select(name);
    }

    public static TestProxy start() throws InterruptedException {
        return new TestProxy(ProxySettings.defaults(), 2);
    }

    public static TestProxy start(ProxySettings settings) throws InterruptedException {
        return new TestProxy(settings, 2);
    }

    /** With one event loop: every client shares one backend pool. */
    public static TestProxy startOneLoop() throws InterruptedException {
        return new TestProxy(ProxySettings.defaults(), 1);
    }


    public ProxyServer server() {
        return server;
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + address().getPort() + pathAndQuery);
    }

    /** Flips to the target; the previous backend (if any) drains with the given deadline. */
    public CompletableFuture<DrainResult> switchTo(Target target, Duration drainDeadline) {
        Backend previous = server.router().flip(server.newBackend(target));
        return previous == null
                ? CompletableFuture.completedFuture(null)
                : previous.drain(drainDeadline, server.group().next());
    }

    public CompletableFuture<DrainResult> switchTo(Target target) {
        return switchTo(target, Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        server.close();
    }
}
