package io.cutover.control.deploy;

import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.deploy.state.StateKeeper;

import io.cutover.control.switching.SwitchService;
import java.io.UncheckedIOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a start or restart of cutover: routes traffic to the active version, removes leftovers
 * of an interrupted deploy and makes sure the active version runs. If the runtime cannot be
 * reached (Docker not up yet at boot), cutover still starts, routing to the last recorded
 * version, and the problem is reported instead of stopping start-up.
 */
final class Restore {
    private static final Logger log = LoggerFactory.getLogger(Restore.class);

    private final StateKeeper states;
    private final AppRuntime runtime;
    private final RunStates runStates;
    private final SwitchService switches;

    Restore(StateKeeper states, AppRuntime runtime, RunStates runStates, SwitchService switches) {
        this.states = states;
        this.runtime = runtime;
        this.runStates = runStates;
        this.switches = switches;
    }

    /**
     * @return what went wrong, for status; null if nothing did
     * @throws io.cutover.control.boot.StartupFailure if the state file cannot be read
     */
    String run() {
        AppState saved = states.load();
        // traffic control first: not one request may reach the app before a pause or maintenance is back
        if (saved.paused() != null) {
            switches.gate().pause(java.time.Duration.ofMillis(saved.paused().timeoutMillis()), saved.paused().maxHeld());
        }
        if (saved.maintenance() != null) {
            switches.gate().maintenanceOn(saved.maintenance().page(), saved.maintenance().retryAfterSeconds());
        }
        Instance active = saved.active();
        String problem = null;
        try {
            runtime.removeAllExcept(Instance.present(active, saved.previous()),
                            Instance.present(active, saved.previous(), saved.candidate()))
                    .forEach(r -> log.info("removed leftover {}", r));
            Optional<String> down = active == null ? Optional.empty() : runStates.check(active);
            if (down.isPresent()) {
                log.info("active version {} {}; starting it again", active.release().describe(), down.get());
                active = runtime.restart(active);
            }
        } catch (RuntimeException e) {
            problem = "could not check the app's versions at start-up (" + Deployer.reason(e) + "); routing to "
                    + (active == null ? "nothing" : active.target()) + " as last recorded";
            log.warn(problem);
        }
        if (active != null) {
            switches.startWith(active.target(), active.release().describe());
        }

        try {
            // the candidate of an interrupted deploy is gone: forget it
            states.record(new AppState(active, saved.previous(), null, saved.previousStopsAt()));
        } catch (UncheckedIOException e) {
            log.warn("{}", e.getMessage());
        }
        return problem;
    }
}
