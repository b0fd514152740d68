package io.cutover.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client-facing listener, its event loops, and the {@link Router} every request goes through. */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final Transport transport;
    private final EventLoopGroup group;
    private final ProxySettings settings;
    private final Router router = new Router();
    private volatile StopFigures lastStop;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final ChannelGroup backendChannels = new DefaultChannelGroup("backends", GlobalEventExecutor.INSTANCE);
    private final Bootstrap backendBootstrap;
    private volatile ChannelFactory<? extends Channel> backendChannelFactory;
    private final int eventLoops;
    private volatile Channel listener;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    private final TrafficObserver observer;
    /** Where finished requests are reported, or null: set at start-up (or by a reload), read per request. */
    private final AccessLogSlot accessLog = new AccessLogSlot();

    /** The clock of everything the server measures and schedules by. */
    private final Ticker ticker;

    private ProxyServer(ProxySettings settings, Transport transport, int eventLoops, TrafficObserver observer,
                        Ticker ticker) {
        this.ticker = ticker;
        this.transport = transport;
        this.eventLoops = eventLoops;
        this.observer = observer;
        this.settings = settings;
        this.group = transport.newProxyGroup(eventLoops);
        this.backendChannelFactory = new ReflectiveChannelFactory<>(transport.channel());
        this.backendBootstrap = transport.connections(new Bootstrap())
                .channelFactory(() -> backendChannelFactory.newChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .handler(new BackendInitializer(settings, ticker));
    }

    /**
     * Opens the client listener: it accepts from when this returns.
     *
     * @throws ListenFailure if it cannot be bound or adopted (the event loops stay up: close the server)
     */
    public void listen(Listener where) throws InterruptedException {
        listen(where, true);
    }

    /**
     * Opens the client listener; without {@code accept}, connections wait in its queue until
     * {@link #startAccepting} (cutover binds before it restores its apps, so that an address in
     * use fails start-up early, but answers nothing before it knows where requests go).
     */
    public void listen(Listener where, boolean accept) throws InterruptedException {
        if (listener != null) {
            throw new IllegalStateException("already listening on " + localAddress());
        }
        ServerBootstrap bootstrap = serverBootstrap(accept);
        ChannelFuture opened;
        try {
            opened = where.open(bootstrap, transport).await();
        } catch (RuntimeException e) {
            throw new ListenFailure("clients", where.describe(), e);
        }
        if (!opened.isSuccess()) {
            throw new ListenFailure("clients", where.describe(), opened.cause());
        }
        this.listener = opened.channel();
        log.info("proxy listening on {} ({}) transport={} event_loops={}", localAddress(), where.describe(),
                transport, eventLoops);
    }

    private ServerBootstrap serverBootstrap(boolean accept) {
        return transport.accepted(new ServerBootstrap())
                .group(group)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.AUTO_READ, accept)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // the classic pooled allocator: its slices are recycled and its copies do not
                // make a java.nio view per call, as the adaptive allocator's do (about 0.3 KB a request)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                // a client may send its request and shut down its sending side: answer it first
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ProxyInitializer(router, settings, clients, accessLog, ticker));
    }

    /**
     * A second listener on a loopback port of its own, serving exactly as the client listener
     * does, for requests that warm the request path up before the real listener accepts (a
     * cutover taking over is cold: its first requests would wait for the JIT). Close it after.
     */
    public Channel listenAside() throws InterruptedException {
        ChannelFuture opened = serverBootstrap(true).channel(transport.serverChannel())
                .bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)).await();
        if (!opened.isSuccess()) {
            throw new ListenFailure("warm-up", "loopback", opened.cause());
        }
        return opened.channel();
    }

    /** Accepts the connections waiting in the listener's queue, and those to come. */
    public void startAccepting() {
        listener.config().setAutoRead(true);
    }

    /** Whether {@link #listen} opened the listener. */
    public boolean listening() {
        return listener != null;
    }

    /** The listening socket's descriptor, to hand it to a cutover taking over. */
    public int listenerDescriptor() {
        return Listener.descriptor(listener);
    }

    /**
     * Stops accepting (another process accepts from now on); open connections go on. Idempotent.
     */
    public void stopAccepting() {
        Channel l = listener;
        if (l != null) {
            l.close().syncUninterruptibly();
        }
    }

    /**
     * Binds the listener. {@code eventLoops} of 0 means one per core.
     */
    public static ProxyServer start(InetSocketAddress listen, ProxySettings settings, Transport transport,
                                    int eventLoops) throws InterruptedException {
        return start(listen, settings, transport, eventLoops, TrafficObserver.NONE);
    }

    public static ProxyServer start(InetSocketAddress listen, ProxySettings settings, Transport transport,
                                    int eventLoops, TrafficObserver observer) throws InterruptedException {
        ProxyServer server = create(settings, transport, eventLoops, observer);
        try {
            server.listen(new Listener.Bind(listen));
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * The event loops and routing, not listening yet: {@link #listen} opens the listener (once
     * the apps are in place, or, taking over, once their health is checked).
     */
    public static ProxyServer create(ProxySettings settings, Transport transport, int eventLoops,
                                     TrafficObserver observer) {
        return create(settings, transport, eventLoops, observer, Ticker.SYSTEM);
    }

    /** As {@link #create(ProxySettings, Transport, int, TrafficObserver)}, measuring time by {@code ticker}. */
    public static ProxyServer create(ProxySettings settings, Transport transport, int eventLoops,
                                     TrafficObserver observer, Ticker ticker) {
        return new ProxyServer(settings, transport,
                eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors(), observer, ticker);
    }

    public Router router() {
        return router;
    }

    /** Reports every finished request to {@code log} from now on (null: none). */
    public void accessLog(AccessLog log) {
        accessLog.set(log);
    }

    public ProxySettings settings() {
        return settings;
    }

    public Transport transport() {
        return transport;
    }

    /** The event loops; the admin server shares them. */
    public EventLoopGroup group() {
        return group;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    /**
     * A new, not yet routed backend for a target, resolved now (which may block: not on an event
     * loop); pass it to {@link Router#flip}.
     */
    public Backend newBackend(Target target) {
        return newBackend(Router.DEFAULT_APP, target, target.resolve(), target.toString());
    }

    /**
     * A new, not yet routed backend of an app at a resolved address, with the name of the version
     * running there.
     */
    public Backend newBackend(String app, Target target, InetSocketAddress address, String version) {
        return new Backend(app, target, address, version, observer.forBackend(app, target, version),
                backendBootstrap, settings.maxIdlePerLoop(), backendChannels, ticker);
    }

    /**
     * A new, not yet routed backend of an app: one version running as several replicas (instances),
     * at resolved addresses (one per target, in the same order). Requests are balanced over the
     * replicas (see {@link Backend#pick}); the first target is the version's identity.
     */
    public Backend newBackend(String app, List<Target> replicas, List<InetSocketAddress> addresses, String version) {
        return new Backend(app, replicas, addresses, version, observer.forBackend(app, replicas.get(0), version),
                backendBootstrap, settings.maxIdlePerLoop(), backendChannels, ticker);
    }

    /** Makes backend connections with {@code factory} from now on (a test's, failing on cue). */
    void backendChannels(ChannelFactory<? extends Channel> factory) {
        backendChannelFactory = factory;
    }

    /** Open client connections right now. */
    public int clientConnections() {
        return clients.size();
    }

    /**
     * Pauses traffic: new requests are held (see {@link Pause}), each for at most {@code timeout},
     * at most {@code maxHeld} at once; those under way finish. Pausing again changes the settings
     * for requests held from then on; those held already still count against the bound.
     */
    public void pause(Duration timeout, int maxHeld) {
        pause(Router.DEFAULT_APP, timeout, maxHeld);
    }

    /** As {@link #pause(Duration, int)}, for one app. */
    public void pause(String app, Duration timeout, int maxHeld) {
        AppRouter r = router.app(app);
        Pause was = r.pause();
        r.pause(new Pause(timeout, maxHeld, was));
    }

    /** Ends a pause: held requests go on (in order on each connection), new ones are routed as usual. */
    public void resume() {
        resume(Router.DEFAULT_APP);
    }

    /** As {@link #resume()}, for one app. */
    public void resume(String app) {
        AppRouter r = router.app(app);
        Pause was = r.pause();
        r.pause(null);
        if (was != null) {
            endPause(was);
        }
    }

    /**
     * Lets the requests a pause held go on (routed again), once it is out of the routing table
     * (resumed, or its app removed).
     */
    public void endPause(Pause was) {
        was.end();
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(FrontendHandler.RESUMED));
        }
    }

    /** How the last graceful stop ended the client connections; null before one. */
    public StopFigures lastStop() {
        return lastStop;
    }

    /**
     * Stops accepting, closes idle client connections, lets in-flight requests finish (each
     * client connection closes after its response) for up to {@code grace}, then closes whatever
     * is left and stops the event loops.
     *
     * @return the client connections cut: still open at the deadline, or closed in the middle of an exchange
     */
    public int shutdownGracefully(Duration grace) {
        return shutdownGracefully(grace, Duration.ZERO);
    }

    /**
     * As {@link #shutdownGracefully(Duration)}, the client connections told to finish one by one,
     * spread evenly over {@code spread} (at most half the grace) rather than all at once: until
     * its turn a keep-alive connection is served as before. Handing over to a new process, its
     * clients then move to it a few at a time, not all at once to a process that has just
     * started.
     */
    public int shutdownGracefully(Duration grace, Duration spread) {
        if (!stopped.compareAndSet(false, true)) {
            return 0;       // stopped already (a later call finds nothing left to cut)
        }
        stopAccepting();
        // a connection accepted just before is still on its way to its loop: once every loop has
        // run what was queued on it before now, it is among the clients, and told to finish
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            loop.submit(() -> { }).awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        StopTally tally = new StopTally();
        StopTally.Stopping stopping = new StopTally.Stopping(tally);
        List<io.netty.util.concurrent.Future<?>> told = new ArrayList<>();
        List<Channel> connections = new ArrayList<>(clients);
        long spreadNanos = Math.max(0, Math.min(spread.toNanos(), grace.toNanos() / 2));
        for (int i = 0; i < connections.size(); i++) {
            Channel ch = connections.get(i);
            long turn = spreadNanos * i / connections.size();
            if (turn == 0) {
                told.add(ch.eventLoop().submit(() -> ch.pipeline().fireUserEventTriggered(stopping)));
            } else {
                io.netty.util.concurrent.ScheduledFuture<?> later = ch.eventLoop().schedule(
                        () -> ch.pipeline().fireUserEventTriggered(stopping), turn, TimeUnit.NANOSECONDS);
                ch.closeFuture().addListener(f -> later.cancel(false));     // closed before its turn: nothing to tell
                told.add(later);
            }
        }
        // a wait on this thread: real time
        long tellDeadline = System.nanoTime() + spreadNanos + TimeUnit.SECONDS.toNanos(1);
        for (io.netty.util.concurrent.Future<?> f : told) {     // every connection knows: the stop's reach is known
            f.awaitUninterruptibly(Math.max(0, TimeUnit.NANOSECONDS.toMillis(tellDeadline - System.nanoTime())));
        }
        // the grace runs from the first connection told: the spread is part of it
        boolean clean = clients.newCloseFuture().awaitUninterruptibly(
                TimeUnit.NANOSECONDS.toMillis(grace.toNanos() - spreadNanos));
        int atDeadline = clean ? 0 : clients.size();
        tally.awaitCounted(atDeadline, 1000);
        // the connections the stop reached: one that closed before its turn is not among them
        int open = tally.reached.get();
        StopFigures figures = new StopFigures(open, tally.answeredAndClosed.get(), tally.closedIdle.get(),
                tally.closedByClient.get(), tally.cut.get(), atDeadline);
        lastStop = figures;
        int cut = figures.cut();
        if (open > 0) {
            log.info("client connections at the stop: {}; answered and closed (Connection: close) {}, closed idle "
                    + "after the linger {}, closed by their clients {}, cut mid-exchange {}, cut at the deadline {}",
                    open, figures.answeredAndClosed(), figures.closedIdle(), figures.closedByClient(),
                    figures.cutMidExchange(), atDeadline);
        }
        clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        backendChannels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        return cut;
    }

    @Override
    public void close() {
        shutdownGracefully(Duration.ZERO);
    }
}
