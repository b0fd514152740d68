package io.cutover.control.deploy.runtime;

import io.cutover.proxy.Target;
import java.time.Instant;

/**
 * One running (or stopped) version of the app on one colour.
 *
 * @param handle    the runtime's id for it: a container id, or a process id
 * @param startedAt when the runtime started it (for a process, also what tells it from a later
 *                  process that reused its pid)
 */
public record Instance(Colour colour, int port, Release release, String deployId, String handle, Instant startedAt) {

    public Target target() {
        return new Target("127.0.0.1", port);
    }

    public Instance withHandle(String newHandle, Instant newStartedAt) {
        return new Instance(colour, port, release, deployId, newHandle, newStartedAt);
    }

    /** The instances given that are there (not null), in order. */
    public static java.util.List<Instance> present(Instance... instances) {
        return java.util.Arrays.stream(instances).filter(java.util.Objects::nonNull).toList();
    }

    public boolean sameRun(Instance other) {
        return other != null && deployId.equals(other.deployId) && colour == other.colour;
    }
}
