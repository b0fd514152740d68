package io.cutover.control.deploy;

import io.cutover.control.canary.CanaryAnalysis;
import io.cutover.control.config.ShadowSettings;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.proxy.Shadow;
import io.cutover.proxy.ShadowStats;
import io.cutover.proxy.Ticker;
import java.time.Duration;

/**
 * The shadow step of a deploy, between the candidate's health gate and its switch: for the
 * shadow's duration the healthy candidate gets copies of a share of the live version's GET and
 * HEAD requests; then the comparison is one step of the deployment. With fail-on-errors, the
 * candidate's errors on the copies (5xx, no answer) are weighed against the live version's on the
 * same requests by the canary's error test, pooled, once a second: once they are clearly worse the
 * shadow ends at once and the deploy fails (its caller removes the candidate; traffic never moved).
 */
final class ShadowStep {
    private static final Duration LOOK_EVERY = Duration.ofSeconds(1);

    private final ShadowRouting routing;
    private final CanaryAnalysis analysis;
    private final Ticker ticker;

    ShadowStep(ShadowRouting routing, CanaryAnalysis analysis, Ticker ticker) {
        this.routing = routing;
        this.analysis = analysis;
        this.ticker = ticker;
    }

    /** Runs the shadow for {@code incoming} as {@code settings} say (nothing when off). Blocks for its duration. */
    void run(Deployment d, Instance incoming, ShadowSettings settings) throws DeployException, InterruptedException {
        if (settings == null || !settings.on()) {
            return;
        }
        long start = ticker.nanos();
        Shadow shadow = routing.shadowStart(incoming.target(), incoming.release().describe(), settings.percent(),
                settings.maxInFlight());
        d.step("shadow started", settings.percent() + "% of GET and HEAD requests copied to " + incoming.target()
                + " for " + settings.duration().toSeconds() + " s; clients are answered by the live version", Duration.ZERO);
        ShadowStats.Snapshot figures;
        CanaryAnalysis.ErrorTest worse = null;
        try {
            long end = start + settings.duration().toNanos();
            for (long now = ticker.nanos(); now - end < 0; now = ticker.nanos()) {
                Thread.sleep(Math.max(1, Math.min(LOOK_EVERY.toMillis(), (end - now) / 1_000_000)));
                if (settings.failOnErrors()) {
                    CanaryAnalysis.ErrorTest t = test(shadow.stats().snapshot());
                    if (t.abort()) {
                        worse = t;
                        break;
                    }
                }
            }
        } finally {
            figures = routing.shadowStop();
        }
        Duration took = Duration.ofNanos(ticker.nanos() - start);
        if (figures == null) {
            throw new DeployException("the shadow ended before its time (the app's routing changed)");
        }
        CanaryAnalysis.ErrorTest t = test(figures);
        if (settings.failOnErrors() && (worse != null || t.abort())) {
            d.step("shadow", figures.describe() + "; the candidate does worse: " + t.why(), took);
            throw new DeployException("shadow: the candidate answered worse than the live version to the same requests ("
                    + figures.shadow().errors() + " of " + figures.compared() + " 5xx or no answer, against "
                    + figures.live().errors() + "): " + t.why());
        }
        d.step("shadow", figures.describe() + (settings.failOnErrors() ? "; errors: " + verdict(t) : ""), took);
    }

    private CanaryAnalysis.ErrorTest test(ShadowStats.Snapshot s) {
        return analysis.errorTest(s.shadow().errors(), s.compared(), s.live().errors(), s.compared(), "live");
    }

    private static String verdict(CanaryAnalysis.ErrorTest t) {
        return (t.pass() ? "no worse" : "not clearly worse") + " (" + t.why() + ")";
    }
}
