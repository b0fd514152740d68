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

    /**
     * Creates and starts a version of the app on a colour: a replica on each of {@code ports},
     * tagged with the deploy id. If one cannot start, those started are removed and it throws.
     */
    Instance start(Release release, Colour colour, List<Integer> ports, String deployId);

    /** Creates and starts a version of one replica on a colour's port. */
    default Instance start(Release release, Colour colour, int port, String deployId) {
        return start(release, colour, List.of(port), deployId);
    }

    /** Starts a stopped instance again, every replica (a rollback to a version kept stopped). */
    Instance restart(Instance instance);

    /**
     * Why the instance is not running ("exited with code 3"; with several replicas, the first one
     * not running, named), or empty while every replica runs.
     */
    default Optional<String> notRunning(Instance instance) {
        for (int k = 0; k < instance.count(); k++) {
            Optional<String> why = notRunning(instance, k);
            if (why.isPresent()) {
                return instance.count() == 1 ? why : Optional.of(instance.describe(k) + " " + why.get());
            }
        }
        return Optional.empty();
    }

    /** Why replica {@code k} (counting from 0) of the instance is not running, or empty while it runs. */
    Optional<String> notRunning(Instance instance, int k);

    /**
     * Why a candidate that has just been started cannot become healthy (with several replicas,
     * the first that cannot, named), or empty.
     */
    default Optional<String> failing(Instance candidate) {
        for (int k = 0; k < candidate.count(); k++) {
            Optional<String> why = failing(candidate, k);
            if (why.isPresent()) {
                return candidate.count() == 1 ? why : Optional.of(candidate.describe(k) + " " + why.get());
            }
        }
        return Optional.empty();
    }

    /**
     * Why replica {@code k} of a candidate that has just been started cannot become healthy, or
     * empty: it exited, or (a container) its restart policy keeps bringing it back.
     */
    default Optional<String> failing(Instance candidate, int k) {
        return notRunning(candidate, k);
    }

    /**
     * Waits, once replica {@code k} of the candidate passed cutover's health check, until the
     * runtime's own readiness signal passes too (a compose service's healthcheck), and says how
     * long that took; at once where there is none.
     *
     * @throws RuntimeFailure why it did not pass
     */
    default java.time.Duration awaitReady(Instance candidate, int k) throws InterruptedException {
        return java.time.Duration.ZERO;
    }

    /** Replica {@code k}'s last log lines, oldest first. */
    List<String> logs(Instance instance, int k, int lines);

    /** The first replica's last log lines, oldest first. */
    default List<String> logs(Instance instance, int lines) {
        return logs(instance, 0, lines);
    }

    /** Stops every replica gracefully (SIGTERM, then a kill after the stop timeout); it can be started again. */
    void stop(Instance instance);

    /** Stops every replica if needed and deletes it. */
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
