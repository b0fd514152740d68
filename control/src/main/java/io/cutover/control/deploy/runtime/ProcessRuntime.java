package io.cutover.control.deploy.runtime;

import io.cutover.control.config.AppSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs versions of the app as child processes, one per replica: the command with {@code PORT} (and
 * the app's and the deploy's environment) set, output appended to a log file per colour and
 * replica ({@code APP-blue.log}, {@code APP-blue-2.log}, ...), stopped with SIGTERM
 * then SIGKILL after the stop timeout. Each process carries {@code CUTOVER_APP},
 * {@code CUTOVER_COLOUR}, {@code CUTOVER_DEPLOY_ID}, {@code CUTOVER_REPLICA} (1, 2, ...) and {@code CUTOVER_OWNER} (see {@link Owner})
 * in its environment, which is how a restarted cutover finds its leftovers (Linux {@code /proc});
 * another cutover's processes of an app with the same name are never touched. Processes outlive
 * a restart of cutover; the restarted cutover adopts the active one (by the pid and start time
 * its state file records).
 *
 * <p>Each version runs in a process group of its own ({@code setsid}), led by the process
 * cutover started: everything it starts (a shell's child, forked workers) belongs to it, is
 * never taken for a leftover, and stops with it.
 */
public final class ProcessRuntime implements AppRuntime {
    static final String APP = "CUTOVER_APP";
    static final String COLOUR = "CUTOVER_COLOUR";
    static final String DEPLOY_ID = "CUTOVER_DEPLOY_ID";
    /** Which replica of its version a process is, counting from 1. */
    static final String REPLICA = "CUTOVER_REPLICA";
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    /** What an app process inherits from cutover's own environment: nothing else (no secret). */
    private static final Set<String> INHERITED = Set.of("PATH", "HOME", "LANG", "TZ", "USER");

    private static final Logger log = LoggerFactory.getLogger(ProcessRuntime.class);

    private final AppSettings app;
    private final String owner;
    private final Path logDir;
    private final Supplier<Map<String, String>> parentEnv;
    private final Map<Long, Process> children = new ConcurrentHashMap<>();
    /** Untagged processes of this app's name already named in the log (once is enough). */
    private final Set<Long> reported = ConcurrentHashMap.newKeySet();

    public ProcessRuntime(AppSettings app, Path logDir) {
        this(app, logDir, System::getenv);
    }

    /** With cutover's own environment given (tests), of which the app sees only the allow-list. */
    ProcessRuntime(AppSettings app, Path logDir, Supplier<Map<String, String>> parentEnv) {
        this.app = app;
        this.owner = Owner.ofStateFile(app.stateFile());
        this.logDir = logDir;
        this.parentEnv = parentEnv;
    }

    /**
     * An app process's environment: PATH, HOME, LANG, LC_*, TZ and USER from cutover's (if set),
     * then the app's, the deploy's, PORT and the tags. Nothing else of cutover's: not its admin
     * token, not systemd's LISTEN_FDS or NOTIFY_SOCKET, no other CUTOVER_ variable.
     */
    static Map<String, String> childEnvironment(Map<String, String> parent, Map<String, String> appEnv,
            Map<String, String> deployEnv, int port, String appName, Colour colour, String deployId, String owner) {
        Map<String, String> env = new java.util.HashMap<>();
        parent.forEach((k, v) -> {
            if (INHERITED.contains(k) || k.startsWith("LC_")) {
                env.put(k, v);
            }
        });
        env.putAll(appEnv);
        env.putAll(deployEnv);
        env.put("PORT", Integer.toString(port));
        env.put(APP, appName);
        env.put(COLOUR, colour.label());
        env.put(DEPLOY_ID, deployId);
        env.put(Owner.ENV, owner);
        return env;
    }

    @Override
    public String kind() {
        return "process";
    }

    @Override
    public Instance start(Release release, Colour colour, List<Integer> ports, String deployId) {
        List<String> command = release.command().isEmpty() ? app.command() : release.command();
        if (command.isEmpty()) {
            throw new RuntimeFailure("no command to run: name one in the deploy or set cutover.app.command");
        }
        List<Instance.Replica> started = new ArrayList<>();
        try {
            for (int k = 0; k < ports.size(); k++) {
                started.add(startReplica(command, release, colour, ports.get(k), k, deployId));
            }
        } catch (RuntimeFailure e) {
            terminate(started.stream().flatMap(r -> ProcessHandle.of(Long.parseLong(r.handle())).stream()).toList());
            throw e;
        }
        return Instance.of(colour, release.running(null, command), deployId, started);
    }

    /** Starts replica {@code k} of a version, its output in its own log file. */
    private Instance.Replica startReplica(List<String> command, Release release, Colour colour, int port, int k,
                                          String deployId) {
        List<String> launch = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            launch.add(SETSID.toString());  // not a group leader, so it execs in place: same pid, its own group
        }
        launch.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(launch).redirectErrorStream(true);
        pb.environment().clear();   // built from the allow-list, never inherited whole
        pb.environment().putAll(childEnvironment(parentEnv.get(), app.env(), release.env(), port,
                app.name(), colour, deployId, owner));
        pb.environment().put(REPLICA, Integer.toString(k + 1));
        try {
            Files.createDirectories(logDir);
            Path log = logFile(colour, k);
            Files.deleteIfExists(log);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process p = pb.start();
            children.put(p.pid(), p);
            return new Instance.Replica(port, Long.toString(p.pid()), startInstant(p.toHandle()));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    /** Starts again each replica that is not running; those that run stay as they are. */
    @Override
    public Instance restart(Instance instance) {
        List<String> command = instance.release().command().isEmpty() ? app.command() : instance.release().command();
        List<Instance.Replica> replicas = new ArrayList<>(instance.replicas());
        for (int k = 0; k < replicas.size(); k++) {
            if (handle(instance.single(k)).isEmpty()) {
                replicas.set(k, startReplica(command, instance.release(), instance.colour(), replicas.get(k).port(), k,
                        instance.deployId()));
            }
        }
        return instance.withReplicas(replicas);
    }

    @Override
    public Optional<String> notRunning(Instance instance, int k) {
        Instance replica = instance.single(k);
        Optional<ProcessHandle> h = handle(replica);
        if (h.isPresent()) {
            return Optional.empty();
        }
        Process p = children.get(pid(replica));
        if (p != null && waitedFor(p)) {
            return Optional.of("exited with code " + p.exitValue());
        }
        return Optional.of("is not running");
    }

    /**
     * Whether a child that is gone has been reaped, so its exit code is known: the JDK's reaper
     * may not have seen its exit yet when the process itself already has none (a zombie).
     */
    private static boolean waitedFor(Process p) {
        try {
            return p.waitFor(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    @Override
    public List<String> logs(Instance instance, int k, int lines) {
        Path log = logFile(instance.colour(), k);
        try {
            List<String> all = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(log unreadable: " + e.getMessage() + ")");
        }
    }

    @Override
    public void stop(Instance instance) {
        List<ProcessHandle> members = new ArrayList<>();
        for (int k = 0; k < instance.count(); k++) {
            handle(instance.single(k)).ifPresent(h -> members.addAll(membersOf(h)));
        }
        terminate(members);     // every replica at once: they stop within one stop timeout
        for (int k = 0; k < instance.count(); k++) {
            children.remove(pid(instance.single(k)));
        }
    }

    @Override
    public void remove(Instance instance) {
        stop(instance);
    }

    @Override
    public List<String> removeAllExcept(Collection<Instance> keep, Collection<Instance> recorded) {
        Set<Long> kept = pids(keep);
        Set<Long> known = pids(recorded);
        List<String> removed = new ArrayList<>();
        List<ProcessHandle> leftovers = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> all;
        try (Stream<ProcessHandle> every = ProcessHandle.allProcesses()) {
            all = every.filter(h -> h.pid() != self).toList();
        }
        for (ProcessHandle h : all) {
            Map<String, String> env = environment(h.pid());
            if (!app.name().equals(env.get(APP)) || belongsTo(h, kept)) {
                continue;
            }
            String tag = env.get(Owner.ENV);
            String what = "process " + h.pid() + " (" + env.get(COLOUR) + ", deploy " + env.get(DEPLOY_ID) + ")";
            if (owner.equals(tag) || belongsTo(h, known)) {
                leftovers.add(h);
                removed.add(what);
            } else if (tag == null && reported.add(h.pid())) {
                log.info("{} of app '{}' has no {} tag: an older cutover started it, and this cutover's state does "
                        + "not name it, so it is left alone; stop it if no other cutover runs it",
                        what, app.name(), Owner.ENV);
            }
            // another owner's: not this cutover's to touch, nor to mention
        }
        terminate(leftovers);
        return removed;
    }

    /** The pids of the instances given that still run. */
    private Set<Long> pids(Collection<Instance> instances) {
        Set<Long> pids = new HashSet<>();
        for (Instance i : instances) {
            for (int k = 0; i != null && k < i.count(); k++) {
                handle(i.single(k)).ifPresent(h -> pids.add(h.pid()));
            }
        }
        return pids;
    }

    /**
     * Whether a process is part of one of the given instances: it is one, it is in the process
     * group one leads, or one is among its ancestors (a process started before process groups).
     */
    private static boolean belongsTo(ProcessHandle h, Set<Long> instances) {
        if (instances.contains(h.pid()) || instances.contains(processGroup(h.pid()))) {
            return true;
        }
        for (Optional<ProcessHandle> p = h.parent(); p.isPresent(); p = p.get().parent()) {
            if (instances.contains(p.get().pid())) {
                return true;
            }
        }
        return false;
    }

    /** An instance's process, the processes of the group it leads, and their descendants. */
    private static List<ProcessHandle> membersOf(ProcessHandle leader) {
        Set<ProcessHandle> members = new LinkedHashSet<>();
        members.add(leader);
        members.addAll(leader.descendants().toList());
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.filter(h -> processGroup(h.pid()) == leader.pid()).forEach(h -> {
                members.add(h);
                members.addAll(h.descendants().toList());
            });
        }
        return new ArrayList<>(members);
    }

    /** The live process of an instance, if it is still the one that was started (pids are reused). */
    private Optional<ProcessHandle> handle(Instance instance) {
        return ProcessHandle.of(pid(instance))
                .filter(ProcessHandle::isAlive)
                .filter(h -> instance.startedAt() == null || instance.startedAt().equals(startInstant(h)));
    }

    /** SIGTERM to each, then SIGKILL to those still there after the stop timeout. */
    private void terminate(List<ProcessHandle> processes) {
        processes.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + app.stopTimeout().toNanos();
        boolean interrupted = false;
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;     // still kill them all below; the interrupt is given back after
                p.destroyForcibly();
            } catch (ExecutionException | TimeoutException e) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | TimeoutException e) {
                // killed; the kernel reaps it
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The process group of a process (Linux /proc/PID/stat), or -1 if it is gone. */
    private static long processGroup(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static Map<String, String> environment(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            Map<String, String> env = new java.util.HashMap<>();
            for (String kv : new String(raw, StandardCharsets.UTF_8).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return env;
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private static Instant startInstant(ProcessHandle h) {
        return h.info().startInstant().orElse(null);
    }

    private static long pid(Instance instance) {
        return Long.parseLong(instance.handle());
    }

    /** A replica's log file: {@code APP-COLOUR.log} for the first, {@code APP-COLOUR-2.log} for the second, .... */
    private Path logFile(Colour colour, int k) {
        return logDir.resolve(app.name() + "-" + colour.label() + (k == 0 ? "" : "-" + (k + 1)) + ".log");
    }
}
