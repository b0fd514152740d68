package io.cutover.control.deploy.runtime;

import io.cutover.proxy.Target;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One running (or stopped) version of the app on one colour: one or more replicas, each a process
 * or container of its own on a port of its own. The first replica's port, handle and start are
 * the instance's own components (as in state files written before replicas, which still load:
 * {@code others} is then empty); the others follow in {@code others}.
 *
 * @param handle    the first replica's runtime id: a container id, or a process id
 * @param startedAt when the runtime started the first replica (for a process, also what tells it
 *                  from a later process that reused its pid)
 * @param others    the replicas after the first, in order (none for a version of one replica)
 */
public record Instance(Colour colour, int port, Release release, String deployId, String handle, Instant startedAt,
                       List<Replica> others) {

    /** One replica of a version: its port, its runtime id and when it was started. */
    public record Replica(int port, String handle, Instant startedAt) {
        public Target target() {
            return new Target("127.0.0.1", port);
        }
    }

    public Instance {
        others = others == null ? List.of() : List.copyOf(others);
    }

    /** A version of one replica. */
    public Instance(Colour colour, int port, Release release, String deployId, String handle, Instant startedAt) {
        this(colour, port, release, deployId, handle, startedAt, List.of());
    }

    /** A version of the replicas given (at least one), in order. */
    public static Instance of(Colour colour, Release release, String deployId, List<Replica> replicas) {
        Replica first = replicas.get(0);
        return new Instance(colour, first.port(), release, deployId, first.handle(), first.startedAt(),
                replicas.subList(1, replicas.size()));
    }

    /** The first replica's target: the version's identity in routing (its backend's target). */
    public Target target() {
        return new Target("127.0.0.1", port);
    }

    /** Every replica, the first one first. */
    public List<Replica> replicas() {
        List<Replica> all = new ArrayList<>(1 + others.size());
        all.add(new Replica(port, handle, startedAt));
        all.addAll(others);
        return all;
    }

    /** How many replicas it has. */
    public int count() {
        return 1 + others.size();
    }

    /** Every replica's target, in order. */
    public List<Target> targets() {
        return replicas().stream().map(Replica::target).toList();
    }

    /** Replica {@code k} (counting from 0) alone, as a version of one replica (for what runs one process). */
    public Instance single(int k) {
        Replica r = replicas().get(k);
        return new Instance(colour, r.port(), release, deployId, r.handle(), r.startedAt());
    }

    /** The same version, with {@code replicas} in place of its replicas (a restart gave them new handles). */
    public Instance withReplicas(List<Replica> replicas) {
        return of(colour, release, deployId, replicas);
    }

    /** How a replica is named to the user: "replica 2 of 3 (127.0.0.1:8083)", or the target alone for one. */
    public String describe(int k) {
        Target t = replicas().get(k).target();
        return count() == 1 ? t.toString() : "replica " + (k + 1) + " of " + count() + " (" + t + ")";
    }

    /** The instances given that are there (not null), in order. */
    public static List<Instance> present(Instance... instances) {
        return java.util.Arrays.stream(instances).filter(java.util.Objects::nonNull).toList();
    }

    public boolean sameRun(Instance other) {
        return other != null && deployId.equals(other.deployId) && colour == other.colour;
    }
}
