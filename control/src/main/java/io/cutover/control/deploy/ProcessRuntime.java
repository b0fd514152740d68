package io.cutover.control.deploy;

import io.cutover.control.config.AppSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs versions of the app as child processes: the command with {@code PORT} (and the app's and
 * the deploy's environment) set, output appended to a log file per colour, stopped with SIGTERM
 * then SIGKILL after the stop timeout. Each process carries {@code CUTOVER_APP},
 * {@code CUTOVER_COLOUR} and {@code CUTOVER_DEPLOY_ID} in its environment, which is how a
 * restarted cutover finds them again (Linux {@code /proc}). Processes outlive a restart of
 * cutover; the restarted cutover adopts the active one.
 */
public final class ProcessRuntime implements AppRuntime {
    static final String APP = "CUTOVER_APP";
    static final String COLOUR = "CUTOVER_COLOUR";
    static final String DEPLOY_ID = "CUTOVER_DEPLOY_ID";

    private final AppSettings app;
    private final Path logDir;
    private final Map<Long, Process> children = new ConcurrentHashMap<>();

    public ProcessRuntime(AppSettings app, Path logDir) {
        this.app = app;
        this.logDir = logDir;
    }

    @Override
    public String kind() {
        return "process";
    }

    @Override
    public Instance start(Release release, Colour colour, int port, String deployId) {
        List<String> command = release.command().isEmpty() ? app.command() : release.command();
        if (command.isEmpty()) {
            throw new RuntimeFailure("no command to run: name one in the deploy or set cutover.app.command");
        }
        Release effective = new Release(null, command, release.env());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(app.env());
        pb.environment().putAll(release.env());
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put(APP, app.name());
        pb.environment().put(COLOUR, colour.label());
        pb.environment().put(DEPLOY_ID, deployId);
        try {
            Files.createDirectories(logDir);
            Path log = logFile(colour);
            Files.deleteIfExists(log);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process p = pb.start();
            children.put(p.pid(), p);
            return new Instance(colour, port, effective, deployId, Long.toString(p.pid()), startInstant(p.toHandle()));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Instance restart(Instance instance) {
        return start(instance.release(), instance.colour(), instance.port(), instance.deployId());
    }

    @Override
    public Optional<String> notRunning(Instance instance) {
        Optional<ProcessHandle> h = handle(instance);
        if (h.isPresent()) {
            return Optional.empty();
        }
        Process p = children.get(pid(instance));
        if (p != null && !p.isAlive()) {
            return Optional.of("exited with code " + p.exitValue());
        }
        return Optional.of("is not running");
    }

    @Override
    public List<String> logs(Instance instance, int lines) {
        Path log = logFile(instance.colour());
        try {
            List<String> all = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(log unreadable: " + e.getMessage() + ")");
        }
    }

    @Override
    public void stop(Instance instance) {
        handle(instance).ifPresent(this::terminate);
        children.remove(pid(instance));
    }

    @Override
    public void remove(Instance instance) {
        stop(instance);
    }

    @Override
    public List<String> removeAllExcept(Collection<Instance> keep) {
        List<String> removed = new ArrayList<>();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.filter(h -> h.pid() != ProcessHandle.current().pid()).forEach(h -> {
                Map<String, String> env = environment(h.pid());
                if (!app.name().equals(env.get(APP))) {
                    return;
                }
                boolean kept = keep.stream().anyMatch(i -> i != null && Long.toString(h.pid()).equals(i.handle()));
                if (!kept) {
                    terminate(h);
                    removed.add("process " + h.pid() + " (" + env.get(COLOUR) + ", deploy " + env.get(DEPLOY_ID) + ")");
                }
            });
        }
        return removed;
    }

    /** The live process of an instance, if it is still the one that was started (pids are reused). */
    private Optional<ProcessHandle> handle(Instance instance) {
        return ProcessHandle.of(pid(instance))
                .filter(ProcessHandle::isAlive)
                .filter(h -> instance.startedAt() == null || instance.startedAt().equals(startInstant(h)));
    }

    private void terminate(ProcessHandle h) {
        List<ProcessHandle> tree = new ArrayList<>(h.descendants().toList());
        tree.add(0, h);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + app.stopTimeout().toNanos();
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception ignored) {
                // killed; the kernel reaps it
            }
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

    private Path logFile(Colour colour) {
        return logDir.resolve(app.name() + "-" + colour.label() + ".log");
    }
}
