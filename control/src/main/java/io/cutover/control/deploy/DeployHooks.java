package io.cutover.control.deploy;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.HookSettings;
import io.cutover.control.config.HookSettings.Hook;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.hook.HookRunner;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The app's hooks at their points of a deploy: each configured one run (on the deploy's thread)
 * with the variables describing the deploy, its output and outcome recorded as the deploy's
 * steps. Before the flip a failing hook fails the deploy; after it, it is a warning.
 */
final class DeployHooks {
    /** Hooks that run nothing (none configured, or a test's steps). */
    static final DeployHooks NONE = new DeployHooks(null, HookSettings.NONE, null, null);

    private final String app;
    private final HookSettings settings;
    private final HookRunner runner;
    private final Counter warnings;

    DeployHooks(String app, HookSettings settings, HookRunner runner, Counter warnings) {
        this.app = app;
        this.settings = settings;
        this.runner = runner;
        this.warnings = warnings;
    }

    static DeployHooks of(AppSettings app, HookRunner runner, Counter warnings) {
        return new DeployHooks(app.name(), app.hooks() == null ? HookSettings.NONE : app.hooks(), runner, warnings);
    }

    /** A hook that must pass for the deploy to go on (pre-deploy, pre-switch). */
    void require(Deployment d, Hook hook, Instance candidate, Instance previous) throws DeployException,
            InterruptedException {
        HookRunner.Outcome o = run(d, hook, candidate, previous, null);
        if (o != null && !o.passed()) {
            throw new DeployException("the " + hook.key() + " hook failed (" + o.how() + ")"
                    + (hook == Hook.PRE_SWITCH ? ": the switch was refused" : ""));
        }
    }

    /** A hook after traffic moved (post-switch, post-deploy): failing is a warning. */
    void after(Deployment d, Hook hook, Instance candidate, Instance previous) {
        try {
            HookRunner.Outcome o = run(d, hook, candidate, previous, null);
            if (o != null && !o.passed()) {
                d.warn("the " + hook.key() + " hook failed (" + o.how() + ")");
                warnings.increment();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The on-failure hook, with why the deploy failed; its own failure is only recorded. */
    void onFailure(Deployment d, Instance active, String reason) {
        try {
            run(d, Hook.ON_FAILURE, null, active, reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code hook} if configured: null if it is not, else how it ended (recorded as a step). */
    private HookRunner.Outcome run(Deployment d, Hook hook, Instance candidate, Instance previous, String reason)
            throws InterruptedException {
        String command = settings.command(hook).orElse(null);
        if (command == null) {
            return null;
        }
        String step = "hook " + hook.key();
        long started = System.nanoTime();
        HookRunner.Outcome o = runner.run(command, env(d, hook, candidate, previous, reason), settings.timeout(),
                line -> d.step(step, line, Duration.ZERO));
        d.step(step + (o.passed() ? " passed" : " failed"), o.how(), Duration.ofNanos(System.nanoTime() - started));
        return o;
    }

    /** What a hook is told of the deploy: only as variables (what a deploy names is never put in a command). */
    private Map<String, String> env(Deployment d, Hook hook, Instance candidate, Instance previous, String reason) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CUTOVER_APP", app);
        env.put("CUTOVER_DEPLOYMENT", d.id());
        env.put("CUTOVER_KIND", d.kind().name().toLowerCase(Locale.ROOT));
        env.put("CUTOVER_HOOK", hook.key());
        String release = d.release() != null ? d.release().describe()
                : candidate != null ? candidate.release().describe() : "";
        env.put("CUTOVER_RELEASE", release);
        env.put("CUTOVER_CANDIDATE", candidate == null ? "" : candidate.target().toString());
        env.put("CUTOVER_CANDIDATE_URL", candidate == null ? "" : "http://" + candidate.target());
        // every replica of the candidate, the first (CUTOVER_CANDIDATE) first, separated by commas
        env.put("CUTOVER_CANDIDATE_REPLICAS", candidate == null ? ""
                : String.join(",", candidate.targets().stream().map(Object::toString).toList()));
        env.put("CUTOVER_PREVIOUS", previous == null ? "" : previous.target().toString());
        env.put("CUTOVER_PREVIOUS_RELEASE", previous == null ? "" : previous.release().describe());
        if (reason != null) {
            env.put("CUTOVER_REASON", reason);
        }
        return env;
    }
}
