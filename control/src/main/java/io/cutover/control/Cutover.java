package io.cutover.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.AdminApi;
import io.cutover.control.admin.AdminAuth;
import io.cutover.control.admin.AdminServer;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.Settings;
import io.cutover.control.deploy.AppRuntime;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.DockerRuntime;
import io.cutover.control.deploy.ProcessRuntime;
import io.cutover.control.deploy.StateStore;
import io.cutover.proxy.ListenFailure;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running cutover: the proxy, the switch service, the deployer and the admin API, wired together. */
public final class Cutover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cutover.class);

    private final Settings settings;
    private final ProxyServer proxy;
    private final ControlLoop control;
    private final SwitchService switches;
    private final Optional<Deployer> deployer;
    private final AdminServer admin;

    private Cutover(Settings settings, ProxyServer proxy, ControlLoop control, SwitchService switches,
                    Optional<Deployer> deployer, AdminServer admin) {
        this.settings = settings;
        this.proxy = proxy;
        this.control = control;
        this.switches = switches;
        this.deployer = deployer;
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
        return start(settings, clock, Cutover::runtimeFor);
    }

    /**
     * Starts everything, or nothing: whatever started before a failure is stopped again.
     *
     * @throws StartupFailure for a reason the user can act on (an address that cannot be bound, a
     *                        state file that cannot be read)
     */
    public static Cutover start(Settings settings, Clock clock, Function<AppSettings, AppRuntime> runtimes)
            throws InterruptedException {
        Transport transport = Transport.select(settings.transport());
        Metrics metrics = new Metrics();
        ProxyServer proxy;
        try {
            proxy = ProxyServer.start(settings.listen(), settings.proxy(), transport, settings.eventLoops(), metrics);
        } catch (ListenFailure e) {
            throw new StartupFailure(e.getMessage(), e);
        }
        ControlLoop control = ControlLoop.start(transport);
        Optional<Deployer> deployer = Optional.empty();
        try {
            HealthCheck health = HealthCheck.on(control.group(), transport, settings.health(), Ticker.SYSTEM);
            SwitchService switches = new SwitchService(
                    new SwitchService.Parts(proxy, health, metrics, control.executor()),
                    settings.drainDeadline(), settings.keepRetiredSeries(), clock);
            settings.target().ifPresent(switches::startWith);
            ObjectMapper json = Json.mapper();
            deployer = settings.app().map(app -> new Deployer(app,
                    new Deployer.Parts(runtimes.apply(app), switches, health,
                            new StateStore(app.stateFile(), app.name(), app.ports(), json), metrics.registry()),
                    clock, Ticker.SYSTEM));
            deployer.ifPresent(Deployer::restore);
            // silence longer than a switch's health gate (plus margin) means a stuck or slow client
            Duration adminIdle = settings.health().deadline().plusSeconds(5);
            AdminServer admin = AdminServer.start(
                    new AdminServer.Settings(settings.admin(), adminIdle, new AdminAuth(settings.adminToken())),
                    control, new AdminApi(switches, deployer, metrics, json), json);
            InetSocketAddress adminAddress = admin.localAddress();
            WarmUp.start(control, adminAddress.getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(InetAddress.getLoopbackAddress(), adminAddress.getPort()) : adminAddress, json);
            return new Cutover(settings, proxy, control, switches, deployer, admin);
        } catch (ListenFailure e) {
            stopAll(proxy, control, deployer);
            throw new StartupFailure(e.getMessage(), e);
        } catch (RuntimeException | InterruptedException e) {
            stopAll(proxy, control, deployer);
            throw e;
        }
    }

    private static void stopAll(ProxyServer proxy, ControlLoop control, Optional<Deployer> deployer) {
        deployer.ifPresent(Deployer::close);
        control.close();
        proxy.close();
    }

    public InetSocketAddress proxyAddress() {
        return proxy.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return admin.localAddress();
    }

    public SwitchService switches() {
        return switches;
    }

    public Optional<Deployer> deployer() {
        return deployer;
    }

    /**
     * Graceful stop: the admin API closes, the proxy stops accepting and lets in-flight requests
     * finish for up to the drain deadline.
     */
    public void shutdown() {
        long start = System.nanoTime();
        admin.close();
        deployer.ifPresent(Deployer::close);
        int cut = proxy.shutdownGracefully(settings.drainDeadline());
        control.close();
        log.info("stopped took_ms={} cut_connections={}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), cut);
    }

    @Override
    public void close() {
        shutdown();
    }
}
