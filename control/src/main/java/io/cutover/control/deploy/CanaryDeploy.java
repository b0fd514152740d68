package io.cutover.control.deploy;

import io.cutover.control.canary.CanaryKey;
import io.cutover.control.canary.CanaryRelease;
import io.cutover.control.canary.CanaryRouting;
import io.cutover.control.canary.Steering;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.CanarySettings;
import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.notify.Events;
import io.cutover.proxy.Ticker;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * The canary path of a deploy: a healthy candidate takes a growing share of requests while it is
 * compared with the stable version ({@link CanaryRelease}). Promoted, it is recorded and the
 * stable version drains and retires as after a switch; aborted, its share goes to 0 in one flip,
 * its requests finish, it is removed, and the deploy fails with the figures. The stable version
 * is never stopped. Owns the hand on the running canary ({@link Steering}) and its counts.
 */
final class CanaryDeploy {
    private final AppSettings app;
    private final DeploySteps steps;
    private final CanaryRouting routing;
    private final Steering steering;
    private final Function<String, Counter> outcomes;
    private final Ticker ticker;
    private final Events events;
    private final Clock clock;
    private volatile CanaryRelease canary;

    /**
     * @param outcomes the counter of canaries ending with an outcome ("promoted", "aborted")
     * @param events   where a canary's steps, hold, promotion and abort are told
     */
    CanaryDeploy(AppSettings app, DeploySteps steps, CanaryRouting routing, Steering steering,
                 Function<String, Counter> outcomes, Ticker ticker, Events events, Clock clock) {
        this.events = events;
        this.clock = clock;
        this.app = app;
        this.steps = steps;
        this.routing = routing;
        this.steering = steering;
        this.outcomes = outcomes;
        this.ticker = ticker;
    }

    /**
     * Brings {@code incoming} in by {@code plan}'s steps in place of {@code outgoing}, once
     * {@code before} (a warm-up, a shadow) passed; {@code bake} after its drain.
     */
    void bringIn(Deployment d, CanarySettings plan, Instance incoming, Instance outgoing,
                 DeploySteps.BeforeSwitch before, DeploySteps.AfterDrain bake) throws Exception {
        Duration healthWait;
        CanaryRelease.Outcome outcome;
        CanaryRelease run = new CanaryRelease(routing, plan, steering, ticker, CanaryKey.file(app.stateFile(), app.name()),
                new CanaryRelease.Notify(events, app.name(), d.id(), clock));
        try {
            healthWait = steps.gate(d, incoming, outgoing, before);
            canary = run;
            outcome = run.run(d, incoming.target(), incoming.release().describe());
            if (outcome.promote()) {
                steps.record(new AppState(incoming, outgoing, null));     // before the flip, as for any switch
            }
        } catch (Exception e) {
            if (run.target() != null) {
                outcomes.apply("aborted").increment();    // it had started
            }
            pullBackAndRemove(d, run, incoming);
            throw e;
        } finally {
            canary = null;
        }
        if (!outcome.promote()) {
            outcomes.apply("aborted").increment();
            pullBackAndRemove(d, run, incoming);
            throw new DeployException("canary aborted: " + outcome.why());
        }
        outcomes.apply("promoted").increment();
        steps.retireAfterDrain(d, steps.promote(d, incoming, outgoing, outcome.why(), healthWait), outgoing, bake);
    }

    /**
     * Pulls a canary back (if it got as far as taking requests); then the candidate is removed,
     * whatever happened to the pull-back.
     */
    private void pullBackAndRemove(Deployment d, CanaryRelease run, Instance candidate) {
        try {
            run.pullBack(d);
        } finally {
            steps.discard(d, candidate);
        }
    }

    /** The canary running now, if any. */
    Optional<CanaryRelease> running() {
        return Optional.ofNullable(canary);
    }

    /** Steers the running canary (promote, abort, set a share). */
    void steer(Steering.Command command) throws Steering.NoCanaryException {
        steering.send(app.name(), command);
    }
}
