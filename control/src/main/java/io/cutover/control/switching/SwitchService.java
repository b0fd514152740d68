package io.cutover.control.switching;

import io.cutover.control.health.HealthCheck;
import io.cutover.control.health.RecentTargetsWatch;
import io.cutover.control.observe.Metrics;
import io.cutover.control.switching.RoutingLock.Holder;
import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import io.netty.channel.EventLoop;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One app's switching, put together: the {@link Switcher} (health gate, flip, drain), the
 * operator's {@link ManualSwitch}, the {@link RoutingLock} that keeps switches, deploys, reloads
 * and takeovers from interleaving, the {@link CanaryRoutes}, the {@link PreviousTarget} watch,
 * the {@link TrafficGate} (maintenance, pause) and the {@link SwitchMetrics}. It starts and stops
 * them together, passes a reload's new settings on, and forwards to each part so that callers
 * need one handle per app.
 */
public final class SwitchService {

    /**
     * What a switch works with: the app it switches, and where; the ticker of the previous
     * target's watch, and where host names are resolved (DNS may block).
     */
    public record Parts(String app, ProxyServer proxy, HealthCheck health, Metrics metrics, EventLoop control,
                        Ticker ticker, Executor resolver) {
    }

    /** Another switch (or a deploy, a reload, a takeover) holds the app's routing. */
    public static final class SwitchInProgressException extends Exception {
        public SwitchInProgressException(String message) {
            super(message);
        }
    }

    /** What a switch did; {@code changed} is false when the target was already active. */
    public record Outcome(Target previous, Target active, boolean changed, Duration healthWait) {
    }

    /** A flip: the target traffic left (null on the first), and the drain of its backend. */
    public record Flip(Target previous, CompletableFuture<DrainResult> drain) {
    }

    private final String app;
    /** The app's health check: a reload changes it in place. */
    private volatile HealthCheck health;
    private final Switcher switcher;
    private final ManualSwitch manual;
    private final RoutingLock lock;
    private final CanaryRoutes canaries;
    private final ShadowRoutes shadows;
    private final TrafficGate gate;
    private final SwitchMetrics metrics;
    private final ReplicaSets replicas;

    public SwitchService(String app, HealthCheck health, Switcher switcher, ManualSwitch manual,
                         RoutingLock lock, CanaryRoutes canaries, ShadowRoutes shadows, TrafficGate gate,
                         SwitchMetrics metrics, ReplicaSets replicas) {
        this.replicas = replicas;
        this.app = app;
        this.health = health;
        this.switcher = switcher;
        this.manual = manual;
        this.lock = lock;
        this.canaries = canaries;
        this.shadows = shadows;
        this.gate = gate;
        this.metrics = metrics;
    }

    /**
     * Starts an app's switching: its parts, its meters registered, its previous target watched
     * (once there is one). Its routing is as it was until something switches or starts it.
     *
     * @param keepRetiredSeries how long the request series of a version traffic has left stay in
     *                          the metrics (so the last scrapes see their final counts)
     * @param clock             when each switch happened, for its record
     */
    public static SwitchService start(Parts parts, Duration drainDeadline, Duration keepRetiredSeries, Clock clock) {
        String app = parts.app();
        ProxyServer proxy = parts.proxy();
        AppRouter router = proxy.router().app(app);
        EventLoop control = parts.control();
        HealthCheck health = parts.health();
        Drains drains = new Drains(app, proxy, control, parts.metrics(), drainDeadline, keepRetiredSeries);
        SwitchMetrics metrics = new SwitchMetrics(app, router, drains, parts.metrics().registry());
        PreviousTarget previous = new PreviousTarget(PreviousTarget.of(
                new RecentTargetsWatch(health, control, health.interval(), parts.ticker())), control);
        ReplicaSets replicas = new ReplicaSets();
        Switcher switcher = new Switcher(app, proxy, control, parts.resolver(), clock, health::check, drains,
                previous, metrics, replicas);
        RoutingLock lock = new RoutingLock();
        return new SwitchService(app, health, switcher, new ManualSwitch(switcher, lock), lock,
                new CanaryRoutes(app, router, switcher, drains), new ShadowRoutes(app, router, proxy, replicas),
                new TrafficGate(app, proxy, router), metrics, replicas);
    }

    /** Which replicas the version at a target has (the app's deployer tells it). */
    public ReplicaSets replicas() {
        return replicas;
    }

    /** The app this service switches. */
    public String app() {
        return app;
    }

    /** Who holds the app's routing (switches, deploys, reloads, takeovers take it in turn). */
    public RoutingLock lock() {
        return lock;
    }

    /** The health gate, flip and drain. */
    public Switcher switcher() {
        return switcher;
    }

    /** Runs the switch path once without flipping (see {@link Switcher#rehearse}). */
    public CompletableFuture<Backend> rehearse() {
        return switcher.rehearse();
    }

    /** The operator's switch. */
    public ManualSwitch manual() {
        return manual;
    }

    /** The app's canary, as routed. */
    public CanaryRoutes canaries() {
        return canaries;
    }

    /** The app's shadow (copies of requests to a candidate before its switch). */
    public ShadowRoutes shadows() {
        return shadows;
    }

    /** The app's maintenance and pause. */
    public TrafficGate gate() {
        return gate;
    }

    /**
     * Stops this app's control (a reload removed it, or cutover stops): its meters go, the previous
     * target is no longer probed. Its routing stays as it is.
     */
    public void close() {
        metrics.remove();
        switcher.previous().stop();
    }

    /**
     * New settings from a reload, in place: the next health gate and drain use them, the previous
     * target's probes too. What the app serves, its previous target, its last switch and the
     * drains under way (with the deadline they started with) stay as they are.
     */
    public void reconfigure(HealthCheck health, Duration drainDeadline) {
        this.health = health;
        switcher.health(health::check);
        switcher.drains().deadline(drainDeadline);
        switcher.previous().health(health);
    }

    /**
     * Blocks until the active target (if any) passes its health check, within the check's
     * deadline (a cutover taking over checks before it accepts).
     */
    public void awaitActiveHealthy() throws HealthCheck.UnhealthyException, InterruptedException {
        Backend a = switcher.active();
        if (a != null) {
            health.await(a.target());
        }
    }

    // What follows forwards to the parts, so that callers keep one handle per app.

    /** Requests in flight on the active backend, a canary, and those still draining. */
    public int inFlight() {
        return metrics.inFlight();
    }

    /** An operator's switch; see {@link ManualSwitch#switchTo}. */
    public CompletableFuture<Outcome> switchTo(Target target) {
        return manual.switchTo(target);
    }

    /** Whether a takeover holds the app (its state is being handed to a new process: nothing may change it). */
    public boolean heldByTakeover() {
        return lock.heldBy(Holder.TAKEOVER);
    }

    /** See {@link Switcher#flipChecked}. */
    public Flip flipChecked(Target target, String version, Duration healthWait) {
        return switcher.flipChecked(target, version, healthWait);
    }

    /** See {@link CanaryRoutes#start}. */
    public Backend canaryStart(Target target, String version, List<Canary.Allow> allow, byte[] cookieKey) {
        return canaries.start(target, version, allow, cookieKey);
    }

    /** See {@link CanaryRoutes#share}. */
    public void canaryShare(int percent) {
        canaries.share(percent);
    }

    /** The canary now, or null. */
    public Canary canary() {
        return canaries.canary();
    }

    /** See {@link CanaryRoutes#promote}. */
    public Flip canaryPromote(Duration healthWait) {
        return canaries.promote(healthWait);
    }

    /** See {@link CanaryRoutes#abort}. */
    public CompletableFuture<DrainResult> canaryAbort() {
        return canaries.abort();
    }

    /** Whether new requests go to {@code target} now. */
    public boolean routesTo(Target target) {
        return switcher.routesTo(target);
    }

    /** See {@link Switcher#startWith(Target)}. */
    public void startWith(Target target) {
        switcher.startWith(target);
    }

    /** See {@link Switcher#startWith(Target, String)}. */
    public void startWith(Target target, String version) {
        switcher.startWith(target, version);
    }

    public Backend active() {
        return switcher.active();
    }

    /** The target traffic was switched away from last, if any. */
    public Target previous() {
        return switcher.previous().target();
    }

    /** The version at {@code target} was stopped: a switch back to it probes it first. */
    public void stopped(Target target) {
        switcher.previous().stopped(target);
    }

    /** Whether a switch back to {@link #previous()} would flip at once: its background probe just passed. */
    public boolean previousWarm() {
        return switcher.previous().warm();
    }

    /** Backends still finishing requests after being switched away from. */
    public List<Backend> draining() {
        return switcher.drains().draining();
    }

    /** The latest switch, or null if none happened yet. */
    public SwitchRecord lastSwitch() {
        return switcher.lastSwitch();
    }
}
