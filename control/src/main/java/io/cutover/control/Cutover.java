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
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Transport;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running cutover: the proxy, the switch service and the admin API, wired together. */
public final class Cutover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cutover.class);

    private final Settings settings;
    private final ProxyServer proxy;
    private final SwitchService switches;
    private final Optional<Deployer> deployer;
    private final AdminServer admin;

    private Cutover(Settings settings, ProxyServer proxy, SwitchService switches, Optional<Deployer> deployer,
                    AdminServer admin) {
        this.settings = settings;
        this.proxy = proxy;
        this.switches = switches;
        this.deployer = deployer;
        this.admin = admin;
    }

    private static AppRuntime runtimeFor(AppSettings app) {
        return switch (app.runtime()) {
            case DOCKER -> new DockerRuntime(app, DockerRuntime.connect());
            case PROCESS -> new ProcessRuntime(app, app.stateFile().toAbsolutePath().getParent());
        };
    }

    public static Cutover start(Settings settings, Clock clock) throws InterruptedException {
        Metrics metrics = new Metrics();
        ProxyServer proxy = ProxyServer.start(settings.listen(), settings.proxy(),
                Transport.select(settings.transport()), settings.eventLoops(), metrics);
        try {
            HealthCheck health = HealthCheck.on(proxy, settings.health(), Ticker.SYSTEM);
            SwitchService switches = new SwitchService(proxy, health, settings.drainDeadline(), clock,
                    metrics.registry());
            settings.target().ifPresent(switches::startWith);
            ObjectMapper json = Json.mapper();
            Optional<Deployer> deployer = settings.app().map(app -> new Deployer(app,
                    new Deployer.Parts(runtimeFor(app), switches, health, new StateStore(app.stateFile(), json),
                            metrics.registry()),
                    clock, Ticker.SYSTEM));
            deployer.ifPresent(Deployer::restore);
            // silence longer than a switch's health gate (plus margin) means a stuck or slow client
            Duration adminIdle = settings.health().deadline().plusSeconds(5);
            AdminServer admin = AdminServer.start(settings.admin(), proxy,
                    new AdminApi(switches, deployer, metrics, json), json, adminIdle, new AdminAuth(settings.adminToken()));
            return new Cutover(settings, proxy, switches, deployer, admin);
        } catch (RuntimeException | InterruptedException e) {
            proxy.close();
            throw e;
        }
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
        log.info("stopped took_ms={} cut_connections={}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), cut);
    }

    @Override
    public void close() {
        shutdown();
    }
}
