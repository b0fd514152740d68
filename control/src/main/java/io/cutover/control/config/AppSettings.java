package io.cutover.control.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The app that cutover deploys: how to run it, where, and what to keep. See reference.conf.
 *
 * @param ports    the first replica's port of each colour (blue, green): see {@code replicaPorts} for all
 * @param compose  the service of a compose file its deploys run ({@link ComposeSettings#NONE}: none)
 * @param replicas how many instances of a version a deploy starts (a deploy may ask for another number)
 * @param replicaPorts which port each replica of each colour listens on
 * @param bake how long a deploy watches the new version after its flip, the previous version kept
 *             warm to flip back to (zero: no bake)
 */
public record AppSettings(
        String name,
        Runtime runtime,
        List<Integer> ports,
        String image,
        List<String> command,
        Map<String, String> env,
        List<String> volumes,
        String network,
        int containerPort,
        Pull pull,
        String restart,
        Duration stopTimeout,
        KeepPrevious keepPrevious,
        Duration keepRunningFor,
        int logLines,
        Duration lockWait,
        Path stateFile,
        Duration bake,
        WarmUpSettings warmUp,
        HookSettings hooks,
        ComposeSettings compose,
        int replicas,
        ReplicaPorts replicaPorts) {

    public enum Runtime { DOCKER, PROCESS }

    public enum Pull { ALWAYS, IF_MISSING, NEVER }

    public enum KeepPrevious { STOPPED, RUNNING }

    /** The app with the ports of its colours given as two ports, one replica each, and no compose service (tests). */
    public AppSettings(String name, Runtime runtime, List<Integer> ports, String image, List<String> command,
                       Map<String, String> env, List<String> volumes, String network, int containerPort, Pull pull,
                       String restart, Duration stopTimeout, KeepPrevious keepPrevious, Duration keepRunningFor,
                       int logLines, Duration lockWait, Path stateFile, Duration bake, WarmUpSettings warmUp,
                       HookSettings hooks) {
        this(name, runtime, ports, image, command, env, volumes, network, containerPort, pull, restart, stopTimeout,
                keepPrevious, keepRunningFor, logLines, lockWait, stateFile, bake, warmUp, hooks, ComposeSettings.NONE, 1,
                ReplicaPorts.stride(ports.get(0), ports.get(1)));
    }

    /**
     * The ports of {@code replicas} replicas of a colour (0 blue, 1 green).
     *
     * @throws IllegalArgumentException saying why, if the app's ports do not give that many
     */
    public List<Integer> ports(int colour, int replicas) {
        return replicaPorts.of(colour, replicas);
    }

    public boolean hostNetwork() {
        return "host".equals(network);
    }
}
