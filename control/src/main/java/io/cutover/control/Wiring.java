package io.cutover.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.Json;
import io.cutover.control.app.App;
import io.cutover.control.audit.AuditTrail;
import io.cutover.control.config.NotifySettings;
import io.cutover.control.config.AppSettings;
import io.cutover.control.deploy.DeployThreads;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.loop.ControlLoop;
import io.cutover.control.notify.Event;
import io.cutover.control.notify.Events;
import io.cutover.control.notify.Webhooks;
import io.cutover.control.observe.Metrics;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Ticker;
import io.cutover.proxy.Transport;
import java.time.Clock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The one place that builds what the control plane runs on: its clocks, its event loop and the
 * threads that may block (name resolution, each app's deploys, the reload), the meters and the
 * JSON mapper; everything else is handed what it needs. {@link #close} stops what it built here
 * (a deployer and a reload shut down the threads they were given).
 */
final class Wiring implements AutoCloseable {
    final Clock clock;
    final Ticker ticker;
    final Metrics metrics;
    final ObjectMapper json;
    final ControlLoop control;
    private final ExecutorService resolver;
    /** The audit trail and the webhooks (null until {@link #notifications}). */
    private AuditTrail audit;
    private Webhooks webhooks;

    private Wiring(Clock clock, Ticker ticker, Transport transport) {
        this.clock = clock;
        this.ticker = ticker;
        this.metrics = new Metrics();
        this.json = Json.mapper();
        this.control = new ControlLoop(transport.newGroup(1), transport);
        this.resolver = Executors.newCachedThreadPool(daemon("cutover-resolve"));
    }

    /** Clocks, meters and the control loop on {@code transport}. */
    static Wiring start(Clock clock, Ticker ticker, Transport transport) {
        return new Wiring(clock, ticker, transport);
    }

    /** What every app is wired to. */
    App.Shared forApps(ProxyServer proxy, Duration keepRetiredSeries, Function<AppSettings, AppRuntime> runtimes) {
        return new App.Shared(proxy, control, metrics, keepRetiredSeries, clock, ticker, resolver, this::deployThreads,
                runtimes, json, events());
    }

    /**
     * The audit trail in {@code stateDir} (a thread of its own writes it) and the webhooks (a
     * thread of their own sends them), where every app's events go; call once, before {@link #forApps}.
     */
    AuditTrail notifications(Path stateDir, NotifySettings notify) {
        audit = new AuditTrail(stateDir, AuditTrail.DEFAULT_LIMIT,
                Executors.newSingleThreadExecutor(daemon("cutover-audit")), json);
        webhooks = new Webhooks(notify.webhooks(), notify.timeout(), notify.attempts(),
                Executors.newSingleThreadScheduledExecutor(daemon("cutover-notify")), json, metrics.registry());
        return audit;
    }

    /** Every event to the audit trail and the webhooks (neither blocks; one failing does not keep it from the other). */
    private Events events() {
        AuditTrail a = audit;
        Webhooks w = webhooks;
        if (a == null) {
            return Events.NONE;
        }
        return e -> {
            tell(a, e);
            tell(w, e);
        };
    }

    private static void tell(Events to, Event e) {
        try {
            to.publish(e);
        } catch (RuntimeException ex) {
            org.slf4j.LoggerFactory.getLogger(Wiring.class).warn("cannot tell of {}: {}", e.kind(), ex.toString());
        }
    }

    /** One app's deploy threads, all daemons. */
    private DeployThreads deployThreads() {
        return new DeployThreads(Executors.newSingleThreadScheduledExecutor(daemon("cutover-deploy")),
                Executors.newSingleThreadScheduledExecutor(daemon("cutover-deploy-timer")),
                Executors.newSingleThreadScheduledExecutor(daemon("cutover-watch")),
                Executors.newSingleThreadExecutor(daemon("cutover-state")),
                Executors.newCachedThreadPool(daemon("cutover-hook-output")));
    }

    /** The reload's thread: reads files and restores apps, one reload at a time. */
    ExecutorService reloadThread() {
        return Executors.newSingleThreadExecutor(daemon("cutover-reload"));
    }

    /** Daemon threads named {@code name-N}. */
    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Stops the control loop and the resolver, then the meters. */
    @Override
    public void close() {
        if (webhooks != null) {
            webhooks.close();
            audit.close();
        }
        control.close();
        resolver.shutdownNow();
        metrics.close();
    }
}
