package io.cutover.control.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which port each replica of each colour listens on (on 127.0.0.1). Either two ports, one per
 * colour ({@code ports = [8081, 8082]}), where replica k (counting from 0) of a colour listens on
 * its colour's port + 2k (blue 8081, 8083, 8085; green 8082, 8084, 8086); or a list per colour
 * ({@code ports { blue = [8081, 8082], green = [8091, 8092] }}), replica k on the k-th port of its
 * colour's list. Either way a version's ports never collide with the other colour's.
 *
 * @param blue  blue's ports: one (the first of a stride) or one per replica
 * @param green green's ports, likewise
 * @param listed whether the ports are lists per colour (rather than the first of a stride)
 */
public record ReplicaPorts(List<Integer> blue, List<Integer> green, boolean listed) {
    /** A replica's port is this far from the one before it when each colour names one port. */
    public static final int STRIDE = 2;

    public ReplicaPorts {
        blue = List.copyOf(blue);
        green = List.copyOf(green);
    }

    /** Two ports, blue and green: replica k at the colour's port + 2k. */
    public static ReplicaPorts stride(int blue, int green) {
        return new ReplicaPorts(List.of(blue), List.of(green), false);
    }

    /** The first replica's port of each colour: blue, green. */
    public List<Integer> first() {
        return List.of(blue.get(0), green.get(0));
    }

    /**
     * The ports of {@code replicas} replicas of colour {@code colour} (0 blue, 1 green).
     *
     * @throws IllegalArgumentException (saying why) if a colour lists fewer ports than that, a
     *                                  port would be out of range, or the colours would share one
     */
    public List<Integer> of(int colour, int replicas) {
        check(replicas);
        return ports(colour, replicas);
    }

    /** Checks that {@code replicas} replicas of each colour have ports of their own; says why not. */
    public void check(int replicas) {
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be at least 1, got " + replicas);
        }
        if (listed) {
            for (int c = 0; c < 2; c++) {
                List<Integer> l = c == 0 ? blue : green;
                if (l.size() < replicas) {
                    throw new IllegalArgumentException("ports." + (c == 0 ? "blue" : "green") + " lists " + l.size()
                            + " port" + (l.size() == 1 ? "" : "s") + " " + l + ", fewer than the " + replicas
                            + " replicas: list one port per replica for each colour");
                }
            }
        }
        Set<Integer> seen = new HashSet<>();
        for (int c = 0; c < 2; c++) {
            for (int p : ports(c, replicas)) {
                if (p < 1 || p > 65_535) {
                    throw new IllegalArgumentException("replica ports run past 65535 (" + p + ") with " + replicas
                            + " replicas");
                }
                if (!seen.add(p)) {
                    throw new IllegalArgumentException("port " + p + " would be used twice with " + replicas
                            + " replicas (blue " + ports(0, replicas) + ", green " + ports(1, replicas) + ")"
                            + (listed ? "" : ": with ports = [BLUE, GREEN], replica k of a colour listens on its port"
                                    + " + 2k, so give the colours ports an odd distance apart (e.g. [8081, 8082]), or"
                                    + " list them: ports { blue = [...], green = [...] }"));
                }
            }
        }
    }

    private List<Integer> ports(int colour, int replicas) {
        List<Integer> l = colour == 0 ? blue : green;
        if (listed) {
            return List.copyOf(l.subList(0, Math.min(replicas, l.size())));
        }
        List<Integer> out = new ArrayList<>();
        for (int k = 0; k < replicas; k++) {
            out.add(l.get(0) + STRIDE * k);
        }
        return out;
    }

    @Override
    public String toString() {
        return listed ? "{ blue = " + blue + ", green = " + green + " }" : "[" + blue.get(0) + ", " + green.get(0) + "]";
    }
}
