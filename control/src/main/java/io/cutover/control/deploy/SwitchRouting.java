package io.cutover.control.deploy;

import io.cutover.control.canary.CanaryRouting;
import io.cutover.control.switching.SwitchService;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Shadow;
import io.cutover.proxy.ShadowStats;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The app's switch as a deploy and its canary see it: the one place in deploy that calls
 * {@link SwitchService}. It remembers the backends of the canary it started (one at a time: deploys
 * run one after another) to read both sides' figures.
 */
final class SwitchRouting implements Routing, CanaryRouting, ShadowRouting {
    private final SwitchService switches;
    private volatile Backend stable;
    private volatile Backend canary;

    SwitchRouting(SwitchService switches) {
        this.switches = switches;
    }

    @Override
    public Flip flip(Target target, String version, Duration healthWait) {
        return of(switches.flipChecked(target, version, healthWait));
    }

    @Override
    public Flip promoteCanary(Duration healthWait) {
        return of(switches.canaryPromote(healthWait));
    }

    private static Flip of(SwitchService.Flip f) {
        return new Flip(f.previous(), f.drain());
    }

    @Override
    public boolean routesTo(Target target) {
        return switches.routesTo(target);
    }

    @Override
    public void stopped(Target target) {
        switches.stopped(target);
    }

    @Override
    public Supplier<RequestStats.Snapshot> activeFigures() {
        Backend b = switches.active();
        return b == null ? () -> RequestStats.Snapshot.EMPTY : b.stats()::snapshot;
    }

    @Override
    public void start(Target candidate, String version, List<Canary.Allow> allow, byte[] cookieKey) {
        stable = switches.active();
        canary = switches.canaryStart(candidate, version, allow, cookieKey);
    }

    @Override
    public void share(int percent) {
        switches.canaryShare(percent);
    }

    @Override
    public RequestStats.Snapshot stable() {
        Backend b = stable;
        return b == null ? RequestStats.Snapshot.EMPTY : b.stats().snapshot();
    }

    @Override
    public RequestStats.Snapshot canary() {
        return canary.stats().snapshot();
    }

    @Override
    public Shadow shadowStart(Target target, String version, int percent, int maxInFlight) {
        return switches.shadows().start(target, version, percent, maxInFlight);
    }

    @Override
    public ShadowStats.Snapshot shadowStop() {
        return switches.shadows().stop();
    }

    @Override
    public CompletableFuture<DrainResult> pullBack() {
        return switches.canaryAbort();
    }
}
