package io.cutover.control.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.config.AppConfig;
import io.cutover.control.config.AppSettings;
import io.cutover.control.deploy.DeployThreads;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.WarmUps;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.state.StateStore;
import io.cutover.control.health.HealthCheck;
import io.cutover.control.loop.ControlLoop;
import io.cutover.control.notify.Events;
import io.cutover.control.observe.Metrics;
import io.cutover.control.switching.RoutingLock;
import io.cutover.control.switching.SwitchService;
import io.cutover.control.warmup.CandidateWarmUp;
import io.cutover.proxy.PathSample;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One app cutover serves: its switch (with its own health check and drain deadline) and, when
 * cutover runs its versions, its deployer (with its own lock and state file).
 */
public record App(AppConfig config, SwitchService switches, Optional<Deployer> deployer) implements AutoCloseable {

    /**
     * What every app is wired to; built in one place (the root's {@code Wiring}).
     *
     * @param resolver      where host names of switch targets are resolved (DNS may block)
     * @param deployThreads new threads for one app's deployer (which shuts them down when it closes)
     */
    public record Shared(ProxyServer proxy, ControlLoop control, Metrics metrics, Duration keepRetiredSeries,
                         Clock clock, Ticker ticker, Executor resolver, Supplier<DeployThreads> deployThreads,
                         Function<AppSettings, AppRuntime> runtimes, ObjectMapper json, Events events) {
    }

    public String name() {
        return config.name();
    }

    /**
     * Starts an app's control: routes to its configured target, or restores its deployed version
     * from its state file (which may block: not on an event loop).
     */
    public static App start(AppConfig config, Shared w) {
        HealthCheck health = healthCheck(config, w);
        SwitchService switches = SwitchService.start(
                new SwitchService.Parts(config.name(), w.proxy(), health, w.metrics(), w.control().executor(),
                        w.ticker(), w.resolver()),
                config.drainDeadline(), w.keepRetiredSeries(), w.clock());
        config.target().ifPresent(switches::startWith);
        Optional<Deployer> deployer = deployer(config, switches, health, w);
        try {
            deployer.ifPresent(Deployer::restore);
        } catch (RuntimeException e) {
            deployer.ifPresent(Deployer::close);
            switches.close();
            throw e;
        }
        return new App(config, switches, deployer);
    }

    /**
     * The app with the settings a reload read, carrying on as it runs: the same switch (what it
     * serves, its previous target, its canary, maintenance and pause, its connections and the
     * drains under way all stay), with its health check and drain deadline changed in place; a
     * new deployer takes the app over from its state file without touching its versions. A
     * {@code target} in {@code next} is where the app starts, not a switch: it is routed to only
     * if the app serves nothing yet. Call it while the app is {@link #takeOutOfService out of
     * service}, from a thread that may block; on an exception this app is as it was (still out of
     * service).
     */
    App reconfigured(AppConfig next, Shared w) {
        HealthCheck health = healthCheck(next, w);
        Optional<Deployer> nextDeployer = deployer(next, switches, health, w);
        try {
            String problem = deployer.map(Deployer::restoreProblem).orElse(null);
            nextDeployer.ifPresent(d -> d.adopt(problem));
        } catch (RuntimeException e) {
            nextDeployer.ifPresent(Deployer::close);
            throw e;
        }
        deployer.ifPresent(Deployer::close);
        switches.reconfigure(health, next.drainDeadline());
        if (switches.active() == null) {
            next.target().ifPresent(switches::startWith);      // it served nothing: as at start-up
        }
        return new App(next, switches, nextDeployer);
    }

    private static HealthCheck healthCheck(AppConfig config, Shared w) {
        return HealthCheck.on(w.control().group(), w.control().transport(), config.health(), w.ticker());
    }

    /** The app's deployer, when cutover runs its versions (its state file is not read yet). */
    private static Optional<Deployer> deployer(AppConfig config, SwitchService switches, HealthCheck health, Shared w) {
        return config.deploy().map(app -> new Deployer(app, config.canary(), config.shadow(),
                new Deployer.Parts(w.runtimes().apply(app), switches, health,
                        new StateStore(app.stateFile(), app.name(), app.ports(), w.json()), w.metrics().registry(), w.events(),
                        warmUps(config, app, w)),
                w.deployThreads().get(), w.clock(), w.ticker()));
    }

    /** Warm-ups of the app's new versions, on the control loop, with its sample of live GET targets. */
    private static WarmUps warmUps(AppConfig config, AppSettings app, Shared w) {
        PathSample sample = w.proxy().router().app(config.name()).sample();
        sample.keepQueries(app.warmUp().queries());
        return new CandidateWarmUp(w.control(), sample, config.health().path(), w.ticker())::start;
    }

    /**
     * Takes switches and deploys away from the app (a reload replaces it, a takeover hands it to
     * another process), so that none runs meanwhile; {@link #backInService} gives them back.
     *
     * @param by what takes it (a reload, a takeover), for the answer to a switch or deploy refused meanwhile
     * @return why it cannot be (a switch or deploy runs), or null when it is done
     */
    public String takeOutOfService(RoutingLock.Holder by) {
        if (!switches.lock().tryReserve(by)) {
            return "app " + name() + " is switching or deploying; " + by.label() + " after it";
        }
        if (deployer.isPresent() && !deployer.get().suspendIfIdle(
                by.label() + " is under way for app " + name() + "; deploy again in a moment")) {
            switches.lock().release();
            return "app " + name() + " is deploying; " + by.label() + " after it";
        }
        return null;
    }

    /** Takes switches and deploys again (what took the app out of service was refused or failed). */
    public void backInService() {
        deployer.ifPresent(Deployer::unsuspend);
        switches.lock().release();
    }

    /** Stops the app's control (its routing stays as it is: the caller's to keep or drain). */
    @Override
    public void close() {
        deployer.ifPresent(Deployer::close);
        switches.close();
    }
}
