package io.cutover.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.AdminApi;
import io.cutover.control.admin.AdminAuth;
import io.cutover.control.admin.AdminServer;
import io.cutover.control.config.AppConfig;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.Settings;
import io.cutover.control.deploy.AppRuntime;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.DockerRuntime;
import io.cutover.control.deploy.ProcessRuntime;
import io.cutover.proxy.ListenFailure;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running cutover: the proxy, its apps (switch and deployer each), and the admin API, wired together. */
public final class Cutover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cutover.class);

    private final Settings settings;
    private final ProxyServer proxy;
    private final ControlLoop control;
    private final Apps apps;
    private final Reload reload;
    private final AdminServer admin;
    private final Metrics metrics;
    private final AccessLogWriter accessLog;

    /** What runs beside the apps. */
    private Cutover(Settings settings, ProxyServer proxy, ControlLoop control, Apps apps, Reload reload,
                    AdminServer admin, Metrics metrics, AccessLogWriter accessLog) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.settings = settings;
        this.proxy = proxy;
        this.control = control;
        this.apps = apps;
        this.reload = reload;
        this.admin = admin;
    }

    /** The runtime an app's settings ask for. */
    public static AppRuntime runtimeFor(AppSettings app) {
        return switch (app.runtime()) {
            case DOCKER -> new DockerRuntime(app, DockerRuntime.connect());
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

    /**
     * Starts everything, or nothing: whatever started before a failure is stopped again.
     *
     * @param config reads the configuration again, for a reload (it may throw a ConfigError)
     * @throws StartupFailure for a reason the user can act on (an address that cannot be bound, a
     *                        state file that cannot be read)
     */
    public static Cutover start(Settings settings, Clock clock, Function<AppSettings, AppRuntime> runtimes,
                                Supplier<Settings> config) throws InterruptedException {
        Transport transport = Transport.select(settings.transport());
        Metrics metrics = new Metrics();
        ProxyServer proxy;
        try {
            proxy = ProxyServer.start(settings.listen(), settings.proxy(), transport, settings.eventLoops(), metrics);
        } catch (ListenFailure e) {
            metrics.close();
            throw new StartupFailure(e.getMessage(), e);
        }
        ControlLoop control = ControlLoop.start(transport);
        List<App> started = new ArrayList<>();
        AccessLogWriter accessLog = null;
        try {
            ObjectMapper json = Json.mapper();
            App.Wiring wiring = new App.Wiring(proxy, control, metrics, settings.keepRetiredSeries(), clock, runtimes, json);
            proxy.router().define(settings.apps().stream().map(AppConfig::rule).toList());
            for (AppConfig app : settings.apps()) {
                started.add(App.start(app, wiring));
            }
            Apps apps = new Apps(started);
            Reload reload = new Reload(settings, config, apps, wiring);
            if (settings.lbHealth().on()) {
                proxy.router().lbHealth(new io.cutover.proxy.LbHealth(settings.lbHealth().path()));
            }
            if (settings.accessLog().on()) {
                accessLog = new AccessLogWriter(settings.accessLog(), metrics.registry());
                proxy.accessLog(accessLog);
            }
            AccessLogWriter log = accessLog;
            // silence longer than a switch's health gate (plus margin) means a stuck or slow client
            Duration adminIdle = settings.apps().stream().map(a -> a.health().deadline()).max(Duration::compareTo)
                    .orElseThrow().plusSeconds(5);
            AdminServer admin = AdminServer.start(
                    new AdminServer.Settings(settings.admin(), adminIdle, new AdminAuth(settings.adminToken())),
                    control, new AdminApi(apps, reload, () -> {
                        if (log != null) {
                            log.reopen();
                        }
                    }, metrics, json), json);
            InetSocketAddress adminAddress = admin.localAddress();
            WarmUp.start(control, adminAddress.getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(InetAddress.getLoopbackAddress(), adminAddress.getPort()) : adminAddress, json);
            return new Cutover(settings, proxy, control, apps, reload, admin, metrics, accessLog);
        } catch (ListenFailure e) {
            stopAll(proxy, control, started);
            closeQuietly(accessLog);
            metrics.close();
            throw new StartupFailure(e.getMessage(), e);
        } catch (RuntimeException e) {
            stopAll(proxy, control, started);
            closeQuietly(accessLog);
            metrics.close();
            throw e;
        }
    }

    private static void closeQuietly(AccessLogWriter log) {
        if (log != null) {
            log.close();
        }
    }

    private static void stopAll(ProxyServer proxy, ControlLoop control, List<App> apps) {
        apps.forEach(App::close);
        control.close();
        proxy.close();
    }

    public InetSocketAddress proxyAddress() {
        return proxy.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return admin.localAddress();
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
     * finish for up to the drain deadline.
     */
    public void shutdown() {
        long start = System.nanoTime();
        admin.close();
        reload.close();
        apps.all().forEach(a -> a.deployer().ifPresent(Deployer::close));
        int cut = proxy.shutdownGracefully(settings.drainDeadline());
        control.close();
        closeQuietly(accessLog);     // after the proxy: the last requests' lines are written
        metrics.close();
        log.info("stopped took_ms={} cut_connections={}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), cut);
    }

    @Override
    public void close() {
        shutdown();
    }
}
