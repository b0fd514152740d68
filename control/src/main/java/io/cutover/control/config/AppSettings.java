package io.cutover.control.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The app that cutover deploys: how to run it, where, and what to keep. See reference.conf.
 *
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
        ComposeSettings compose) {

    /** An app whose deploys run no compose service. */
    public AppSettings(String name, Runtime runtime, List<Integer> ports, String image, List<String> command,
                       Map<String, String> env, List<String> volumes, String network, int containerPort, Pull pull,
                       String restart, Duration stopTimeout, KeepPrevious keepPrevious, Duration keepRunningFor,
                       int logLines, Duration lockWait, Path stateFile, Duration bake, WarmUpSettings warmUp,
                       HookSettings hooks) {
        this(name, runtime, ports, image, command, env, volumes, network, containerPort, pull, restart, stopTimeout,
                keepPrevious, keepRunningFor, logLines, lockWait, stateFile, bake, warmUp, hooks, ComposeSettings.NONE);
    }

    public enum Runtime { DOCKER, PROCESS }

    public enum Pull { ALWAYS, IF_MISSING, NEVER }

    public enum KeepPrevious { STOPPED, RUNNING }

    public boolean hostNetwork() {
        return "host".equals(network);
    }
}
