package io.cutover.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.AdminApi;
import io.cutover.control.admin.AdminAuth;
import io.cutover.control.admin.AdminServer;
import io.cutover.control.admin.AdminToken;
import io.cutover.control.admin.ProcessControl;
import io.cutover.control.admin.WarmUp;
import io.cutover.control.app.App;
import io.cutover.control.audit.AuditTrail;
import io.cutover.control.app.Apps;
import io.cutover.control.app.Reload;
import io.cutover.control.boot.Listeners;
import io.cutover.control.boot.ProxyWarmUp;
import io.cutover.control.boot.StartupFailure;
import io.cutover.control.compose.ComposeCli;
import io.cutover.control.compose.ComposeServices;
import io.cutover.control.config.AppConfig;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.Settings;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.DockerRuntime;
import io.cutover.control.deploy.runtime.ProcessRuntime;
import io.cutover.control.health.HealthCheck;
import io.cutover.control.loop.ControlLoop;
import io.cutover.control.observe.AccessLogWriter;
import io.cutover.control.observe.Metrics;
import io.cutover.control.switching.SwitchService;
import io.cutover.control.takeover.ControlSocket;
import io.cutover.control.takeover.Giver;
import io.cutover.control.takeover.Receiver;
import io.cutover.control.takeover.TakeoverFailure;
import io.cutover.control.takeover.Upgrade;
import io.cutover.proxy.ListenFailure;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Ticker;
import io.cutover.proxy.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running cutover: the proxy, its apps (switch and deployer each), and the admin API, wired together. */
public final class Cutover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cutover.class);
    /** Handed over, over how long this process tells its keep-alive connections to close (at most half the drain deadline). */
    static final Duration HANDOVER_SPREAD = Duration.ofSeconds(2);

    private final Settings settings;
    private final ProxyServer proxy;
    private final Wiring wiring;
    private final ControlLoop control;
    private final Apps apps;
    private final Reload reload;
    private final Metrics metrics;
    private final AccessLogWriter accessLog;
    private final Launch launch;
    private AdminApi api;
    private AdminAuth adminAuth;
    private final ObjectMapper json;
    /** Set by {@link #open}. */
    private volatile AdminServer admin;
    private volatile ControlSocket controlSocket;
    /** Whether an adopted socket was given to Netty (which closes it on a failure): not to be closed again. */
    private boolean adminOpened;
    private boolean clientsOpened;
    private final CompletableFuture<Integer> handedOver = new CompletableFuture<>();
    private final Upgrade upgrade = new Upgrade(handedOver);
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * How a cutover starts: its collaborators, and where its listeners come from.
     *
     * @param config    reads the configuration again, for a reload (it may throw a ConfigError)
     * @param listeners null: bind the configured addresses
     */
    public record Launch(Clock clock, Function<AppSettings, AppRuntime> runtimes, Supplier<Settings> config,
                         Listeners listeners, java.util.function.BooleanSupplier stopRequested) {
        public Launch(Clock clock, Function<AppSettings, AppRuntime> runtimes, Supplier<Settings> config,
                      Listeners listeners) {
            this(clock, runtimes, config, listeners, () -> false);
        }

        Launch with(Listeners l) {
            return new Launch(clock, runtimes, config, l, stopRequested);
        }
    }

    /** What runs beside the apps. */
    private record Parts(ProxyServer proxy, Wiring wiring, Apps apps, Reload reload, AccessLogWriter accessLog) {
    }

    private Cutover(Settings settings, Launch launch, Parts p) {
        this.settings = settings;
        this.launch = launch;
        this.proxy = p.proxy();
        this.wiring = p.wiring();
        this.control = p.wiring().control;
        this.apps = p.apps();
        this.reload = p.reload();
        this.metrics = p.wiring().metrics;
        this.accessLog = p.accessLog();
        this.json = p.wiring().json;
    }

    /** The runtime an app's settings ask for. */
    public static AppRuntime runtimeFor(AppSettings app) {
        return switch (app.runtime()) {
            case DOCKER -> new DockerRuntime(app, DockerRuntime.connect(),
                    new ComposeServices(new ComposeCli(), app.compose().port()));
            case PROCESS -> new ProcessRuntime(app, app.stateFile().getParent());
        };
    }

    public static Cutover start(Settings settings, Clock clock) throws InterruptedException {
        return start(settings, clock, Cutover::runtimeFor, () -> settings);
    }

    public static Cutover start(Settings settings, Clock clock, Function<AppSettings, AppRuntime> runtimes)
            throws InterruptedException {
        return start(settings, clock, runtimes, () -> settings);
    }

    public static Cutover start(Settings settings, Clock clock, Function<AppSettings, AppRuntime> runtimes,
                                Supplier<Settings> config) throws InterruptedException {
        return start(settings, new Launch(clock, runtimes, config, null));
    }

    /**
     * Starts everything, or nothing (whatever started before a failure is stopped again), and
     * accepts. Refused if a cutover runs with the same state directory (its control socket answers).
     *
     * @throws StartupFailure for a reason the user can act on (an address that cannot be bound, a
     *                        state file that cannot be read)
     */
    public static Cutover start(Settings settings, Launch launch) throws InterruptedException {
        checkNoneRunning(settings);
        if (launch.listeners() == null) {
            Transport transport = Transport.select(settings.transport());
            launch = launch.with(Listeners.bind(settings, transport));
            launch.listeners().checkFree();
        }
        Cutover c = prepare(settings, launch, true);
        try {
            c.open();
        } catch (RuntimeException | InterruptedException e) {
            c.abandon();
            throw e;
        }
        return c;
    }

    /**
     * Takes over from the cutover running with the same state directory, with no gap: it holds
     * its apps still and hands over its listeners; this one loads the state, checks that every
     * active version is healthy, and accepts; only then does the old one stop accepting, finish
     * its requests and exit. If anything fails before that, the old one goes on serving.
     *
     * @throws io.cutover.control.takeover.TakeoverFailure why it did not happen
     */
    public static Cutover takeOver(Settings settings, Launch launch) throws InterruptedException {
        return Receiver.takeOver(settings, listeners -> new Succeeding(prepareOn(settings, launch.with(listeners))),
                launch.stopRequested()).cutover();
    }

    /** {@link #prepare} on listeners handed over: on a failure, this process's copies of them are closed. */
    private static Cutover prepareOn(Settings settings, Launch launch) throws InterruptedException {
        try {
            return prepare(settings, launch, false);
        } catch (RuntimeException | InterruptedException e) {
            closeIfAdopted(launch.listeners().clients());
            closeIfAdopted(launch.listeners().admin());
            throw e;
        }
    }

    /** This cutover as the new process of a takeover sees it. */
    private record Succeeding(Cutover cutover) implements Receiver.Successor {
        @Override
        public void awaitHealthy() throws HealthCheck.UnhealthyException, InterruptedException {
            for (App a : cutover.apps.all()) {
                a.switches().awaitActiveHealthy();
            }
        }

        @Override
        public void warmUp() throws InterruptedException {
            ProxyWarmUp.run(cutover.proxy, cutover.settings.apps());
        }

        @Override
        public void open() throws InterruptedException {
            cutover.open();
        }

        @Override
        public void abandon() {
            cutover.abandon();
        }

        @Override
        public void confirmed() throws InterruptedException {
            cutover.admin.publishUnixSocket();
            cutover.openControlSocket();
        }
    }

    /** Fails if a cutover answers on this state directory's control socket. */
    private static void checkNoneRunning(Settings settings) {
        if (!ControlSocket.supported() || !java.nio.file.Files.exists(ControlSocket.path(settings.stateDir()))) {
            return;
        }
        int pid;
        try {
            pid = Receiver.runningPid(settings.stateDir());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (pid != 0) {
            throw new StartupFailure("a cutover (pid " + pid + ") runs with state directory " + settings.stateDir()
                    + ": stop it first, or start this one with --takeover to replace it with no gap");
        }
    }

    /**
     * Everything but the listeners: the proxy's loops, the apps (restored from their state), the
     * access log. With {@code listenFirst}, the client listener opens first (connections wait in
     * its queue until {@link #open}), so that an address in use fails start-up before any app is
     * touched.
     */
    private static Cutover prepare(Settings settings, Launch launch, boolean listenFirst) throws InterruptedException {
        AdminAuth adminAuth = AdminToken.auth(settings);     // may make the token file, or refuse it
        Listeners listeners = launch.listeners();
        Transport transport = listeners.transport(settings);
        if (!transport.toString().equals(Transport.select(settings.transport()).toString())) {
            log.info("running on {}, not {}: {} listeners are adopted, which only epoll can do", transport,
                    Transport.select(settings.transport()), listeners.origin());
        }
        Wiring wiring = Wiring.start(launch.clock(), Ticker.SYSTEM, transport);
        ProxyServer proxy;
        try {
            proxy = ProxyServer.create(settings.proxy(), transport, settings.eventLoops(), wiring.metrics,
                    wiring.ticker);
        } catch (RuntimeException e) {
            wiring.close();
            throw e;
        }
        if (listenFirst) {
            try {
                proxy.listen(listeners.clients(), false);
            } catch (ListenFailure e) {
                proxy.close();
                wiring.close();
                throw new StartupFailure(e.getMessage(), e);
            } catch (RuntimeException | InterruptedException e) {
                proxy.close();
                wiring.close();
                throw e;
            }
        }
        List<App> started = new ArrayList<>();
        AccessLogWriter accessLog = null;
        try {
            AuditTrail audit = wiring.notifications(settings.stateDir(), settings.notifications());
            App.Shared shared = wiring.forApps(proxy, settings.keepRetiredSeries(), launch.runtimes());
            proxy.router().define(settings.apps().stream().map(AppConfig::rule).toList());
            for (AppConfig app : settings.apps()) {
                started.add(App.start(app, shared));
            }
            Apps apps = new Apps(started);
            Reload reload = new Reload(settings, launch.config(), apps, shared, wiring.reloadThread());
            if (settings.lbHealth().on()) {
                proxy.router().lbHealth(new io.cutover.proxy.LbHealth(settings.lbHealth().path()));
            }
            if (settings.accessLog().on()) {
                accessLog = new AccessLogWriter(settings.accessLog(), wiring.metrics.registry());     // reports from open()
            }
            Cutover c = new Cutover(settings, launch, new Parts(proxy, wiring, apps, reload, accessLog));
            c.api = new AdminApi(apps, reload, c.processControl(), wiring.metrics, wiring.json, audit);
            c.adminAuth = adminAuth;
            return c;
        } catch (RuntimeException e) {
            stopAll(proxy, started);
            closeQuietly(accessLog);
            wiring.close();
            throw e;
        }
    }

    /** Opens the listeners (the client one, if not yet) and the control socket: cutover accepts from now on. */
    private void open() throws InterruptedException {
        try {
            if (accessLog != null) {
                proxy.accessLog(accessLog);     // not a takeover's warm-up requests
            }
            // the admin API first: should it fail, no client connection was taken yet
            // silence longer than a switch's health gate (plus margin) means a stuck or slow client
            Duration adminIdle = settings.apps().stream().map(a -> a.health().deadline()).max(Duration::compareTo)
                    .orElseThrow().plusSeconds(5);
            Listeners.checkAdminReach(launch.listeners().admin(), settings);
            adminOpened = true;     // from here on Netty owns an adopted socket (and closes it if this fails)
            admin = AdminServer.start(new AdminServer.Settings(launch.listeners().admin(), adminIdle,
                    adminAuth, settings.adminHosts(), settings.adminSocket(),
                    launch.listeners().origin().startsWith(Receiver.ORIGIN)), control, api, json);
            if (proxy.listening()) {
                proxy.startAccepting();
            } else {
                clientsOpened = true;
                proxy.listen(launch.listeners().clients());
            }
        } catch (ListenFailure e) {
            throw new StartupFailure(e.getMessage(), e);
        }
        InetSocketAddress adminAddress = admin.localAddress();
        WarmUp.start(control, adminAddress.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), adminAddress.getPort()) : adminAddress, json,
                adminAuth.authorization())
                // then each app's switch path once, on its active target, never flipped: the
                // first switch after start-up found ~110 classes to load (93-267 ms to the first answer)
                .whenComplete((v, e) -> apps.all().forEach(a -> {
                    try {
                        a.switches().rehearse();
                    } catch (RuntimeException x) {
                        log.debug("app={}: no switch rehearsal: {}", a.name(), x.toString());
                    }
                }));
        if (!(launch.listeners().origin().startsWith(Receiver.ORIGIN))) {
            openControlSocket();
        }
    }

    private void openControlSocket() throws InterruptedException {
        if (ControlSocket.supported()) {
            try {
                controlSocket = ControlSocket.open(settings.stateDir(), new Giver(new Giver.Parts(proxy.transport(),
                        apps, proxy, admin, launch.listeners(), upgrade, handedOver)),
                        settings.takeoverHold());
            } catch (IllegalStateException e) {
                log.warn("{}: this cutover cannot be taken over (serve --takeover)", e.getMessage());
            }
        } else {
            log.info("no control socket (it needs epoll): this cutover cannot be taken over");
        }
    }

    /** Stops what {@link #prepare} started, when start-up fails after it. */
    private void abandon() {
        if (admin != null) {
            admin.close();
        } else if (!adminOpened) {
            closeIfAdopted(launch.listeners().admin());
        }
        if (!proxy.listening() && !clientsOpened) {
            closeIfAdopted(launch.listeners().clients());
        }
        stopAll(proxy, new ArrayList<>(apps.all()));
        reload.close();
        closeQuietly(accessLog);
        wiring.close();
    }

    /** Closes this process's copy of a socket it was handed and did not open (the other process's stays). */
    private static void closeIfAdopted(io.cutover.proxy.Listener l) {
        if (l instanceof io.cutover.proxy.Listener.Adopt a) {
            try {
                new io.netty.channel.unix.FileDescriptor(a.fd()).close();
            } catch (java.io.IOException e) {
                log.debug("closing handed-over descriptor {}: {}", a.fd(), e.getMessage());
            }
        }
    }

    private static void closeQuietly(AccessLogWriter log) {
        if (log != null) {
            log.close();
        }
    }

    private static void stopAll(ProxyServer proxy, List<App> apps) {
        apps.forEach(App::close);
        proxy.close();
    }

    public InetSocketAddress proxyAddress() {
        return proxy.localAddress();
    }

    ProxyServer proxy() {
        return proxy;
    }

    AdminServer admin() {
        return admin;
    }

    Listeners listeners() {
        return launch.listeners();
    }

    Transport transport() {
        return proxy.transport();
    }

    /** A cutover took over: completes (with its pid) once this one stopped accepting. */
    public CompletableFuture<Integer> handedOver() {
        return handedOver;
    }

    public InetSocketAddress adminAddress() {
        return admin.localAddress();
    }

    /** What it started with (tests find its state directory, and so its admin token, here). */
    Settings settings() {
        return settings;
    }

    public Apps apps() {
        return apps;
    }

    /** The only app's switch (or the first app's). */
    public SwitchService switches() {
        return apps.all().iterator().next().switches();
    }

    /** The only app's deployer (or the first app's). */
    public Optional<Deployer> deployer() {
        return apps.all().iterator().next().deployer();
    }

    /**
     * The first step of stopping behind a load balancer: its health check fails from now on
     * (requests are served as before).
     *
     * @return how long to wait before {@link #shutdown()}: the grace, or zero without a check
     */
    public Duration leaveLoadBalancer() {
        io.cutover.proxy.LbHealth h = proxy.router().lbHealth();
        if (h == null) {
            return Duration.ZERO;
        }
        h.stopping();
        log.info("stopping: {} answers 503 for {} s so the load balancer stops sending, then the drain",
                h.path(), settings.lbHealth().grace().toSeconds());
        return settings.lbHealth().grace();
    }

    Upgrade upgrade() {
        return upgrade;
    }

    /**
     * Starts a new cutover from this one's command line, which takes over ({@code cutover
     * upgrade}); completes once it did, or failed (this one serving on).
     */
    public CompletableFuture<ProcessControl.Upgraded> upgradeInPlace() {
        return upgrade.start();
    }

    private ProcessControl processControl() {
        return new ProcessControl() {
            @Override
            public void reopenLogs() {
                Cutover.this.reopenLogs();
            }

            @Override
            public CompletableFuture<Upgraded> upgrade() {
                return upgradeInPlace();
            }

            @Override
            public Optional<LoadBalancer> loadBalancer() {
                io.cutover.proxy.LbHealth h = proxy.router().lbHealth();
                return h == null ? Optional.empty()
                        : Optional.of(new LoadBalancer(h, settings.lbHealth().grace(), metrics::requestsEnded));
            }
        };
    }

    /** Opens the access log file again (SIGUSR1, {@code cutover reopen-logs}); nothing without one. */
    public void reopenLogs() {
        if (accessLog != null) {
            accessLog.reopen();
        }
    }

    /** Reads the configuration again and applies what changed in the apps (SIGHUP, {@code cutover reload}). */
    public Reload reloader() {
        return reload;
    }

    /**
     * Graceful stop: the admin API closes, the proxy stops accepting and lets in-flight requests
     * finish for up to the drain deadline. Once only: later calls return at once.
     */
    public void shutdown() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        long start = wiring.ticker.nanos();
        boolean handed = handedOver.isDone();
        if (controlSocket != null) {
            controlSocket.close(handed);
        }
        if (!handed) {
            upgrade.stopSuccessor();     // stopping, not upgrading: a successor on its way must not serve
        }
        admin.close();
        reload.close();
        apps.all().forEach(a -> a.deployer().ifPresent(Deployer::close));
        // handed over: the clients move to the new process a few at a time (a cold process that
        // all of them reached at once answered none of them for up to a tenth of a second)
        int cut = proxy.shutdownGracefully(settings.drainDeadline(), handed ? HANDOVER_SPREAD : Duration.ZERO);
        closeQuietly(accessLog);     // after the proxy: the last requests' lines are written
        wiring.close();
        log.info("stopped took_ms={} cut_connections={}", TimeUnit.NANOSECONDS.toMillis(wiring.ticker.nanos() - start), cut);
    }

    @Override
    public void close() {
        shutdown();
    }
}
