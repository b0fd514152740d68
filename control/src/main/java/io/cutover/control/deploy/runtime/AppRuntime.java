package io.cutover.control.deploy.runtime;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Where the app's versions run: containers ({@link DockerRuntime}) or processes ({@link ProcessRuntime}). */
public interface AppRuntime {

    /** A runtime operation that failed; the message is meant for the user. */
    final class RuntimeFailure extends RuntimeException {
        public RuntimeFailure(String message) {
            super(message);
        }

        public RuntimeFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Creates and starts a version of the app on a colour's port, tagged with the deploy id. */
    Instance start(Release release, Colour colour, int port, String deployId);

    /** Starts a stopped instance again (a rollback to a version kept stopped). */
    Instance restart(Instance instance);

    /** Why the instance is not running ("exited with code 3"), or empty while it runs. */
    Optional<String> notRunning(Instance instance);

    /**
     * Why a candidate that has just been started cannot become healthy, or empty: it exited, or
     * (a container) its restart policy keeps bringing it back.
     */
    default Optional<String> failing(Instance candidate) {
        return notRunning(candidate);
    }

    /**
     * Waits, once the candidate passed cutover's health check, until the runtime's own readiness
     * signal passes too (a compose service's healthcheck), and says how long that took; at once
     * where there is none.
     *
     * @throws RuntimeFailure why it did not pass
     */
    default java.time.Duration awaitReady(Instance candidate) throws InterruptedException {
        return java.time.Duration.ZERO;
    }

    /** Its last log lines, oldest first. */
    List<String> logs(Instance instance, int lines);

    /** Stops it gracefully (SIGTERM, then a kill after the stop timeout); it can be started again. */
    void stop(Instance instance);

    /** Stops it if needed and deletes it. */
    void remove(Instance instance);

    /**
     * Removes every run of this app that is this cutover's and not one of {@code keep}: leftovers
     * of an interrupted deploy, and older versions. A run is this cutover's if it carries its
     * {@link Owner} tag, or if it is one of {@code recorded} (what the state file names: a run
     * started by a cutover before owner tags). Runs of another owner are never touched; untagged
     * ones not recorded are left alone too, and logged once so that the user can remove them.
     *
     * @return a description of each one removed
     */
    List<String> removeAllExcept(Collection<Instance> keep, Collection<Instance> recorded);

    /** {@link #removeAllExcept(Collection, Collection)} with nothing recorded but what is kept. */
    default List<String> removeAllExcept(Collection<Instance> keep) {
        return removeAllExcept(keep, keep);
    }

    /** What kind it is, for status ("docker" or "process"). */
    String kind();
}
