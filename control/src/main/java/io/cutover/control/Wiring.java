package io.cutover.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.Json;
import io.cutover.control.app.App;
import io.cutover.control.config.AppSettings;
import io.cutover.control.deploy.DeployThreads;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.loop.ControlLoop;
import io.cutover.control.notify.Events;
import io.cutover.control.observe.Metrics;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Ticker;
import io.cutover.proxy.Transport;
import java.time.Clock;
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
                runtimes, json, Events.NONE);
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
        control.close();
        resolver.shutdownNow();
        metrics.close();
    }
}
