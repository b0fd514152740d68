package io.cutover.control.takeover;

import io.cutover.control.Cutover;
import io.cutover.control.admin.ProcessControl;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upgrade of cutover by itself ({@code cutover upgrade}), as nginx's binary upgrade (not on
 * SIGUSR2, as nginx: HotSpot suspends threads with it, for JFR's sampling among others):
 * this process starts its successor from its own command line plus {@code --takeover} (so the
 * jar and JDK on disk now), in a session of its own, with its output where this one's goes, and
 * the successor takes over (see {@link Cutover#takeOver}). Started by this process, it stays in
 * its service's cgroup under systemd, and tells systemd it is the main process now.
 */
public final class Upgrade {
    private static final Logger log = LoggerFactory.getLogger(Upgrade.class);
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /** Far beyond a JVM's start and the health checks; a successor that takes longer has failed. */
    private static final Duration LIMIT = Duration.ofMinutes(5);

    private final CompletableFuture<Integer> handedOver;
    private final AtomicReference<Attempt> attempt = new AtomicReference<>();

    private record Attempt(CompletableFuture<ProcessControl.Upgraded> outcome, AtomicReference<Long> pid, long asked) {
        long msSinceAsked() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
        }
    }

    public Upgrade(CompletableFuture<Integer> handedOver) {
        this.handedOver = handedOver;
    }

    /**
     * This process's command line (from {@code /proc/self/cmdline}: the JDK's process info drops
     * the arguments of a long one), to run again as a takeover.
     */
    public static List<String> successorCommand(Path cmdline) throws IOException {
        String all = Files.readString(cmdline, java.nio.charset.StandardCharsets.UTF_8);
        List<String> self = new ArrayList<>(List.of(all.split("\0")));
        if (self.isEmpty() || self.get(0).isEmpty()) {
            throw new IOException(cmdline + " is empty");
        }
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            cmd.add(SETSID.toString());
        }
        // the program as it was named (bin/cutover: "java", found on the PATH): a JDK updated in
        // place since is the one the successor starts on (this process's own executable may be a
        // deleted file by then)
        cmd.add(self.get(0));
        List<String> args = new ArrayList<>(self.subList(1, self.size()));
        if (!args.contains("--takeover")) {
            // right after the subcommand: anything after a "--" would not be taken for an option
            int serve = args.indexOf("serve");
            args.add(serve < 0 ? args.size() : serve + 1, "--takeover");
        }
        cmd.addAll(args);
        return cmd;
    }

    public CompletableFuture<ProcessControl.Upgraded> start() {
        Attempt a = new Attempt(new CompletableFuture<>(), new AtomicReference<>(), System.nanoTime());
        Attempt was = attempt.get();
        if ((was != null && !was.outcome().isDone()) || !attempt.compareAndSet(was, a)) {
            return CompletableFuture.failedFuture(new ProcessControl.UpgradeFailure(
                    "an upgrade is under way (pid " + (was == null ? "?" : was.pid().get()) + ")", true));
        }
        if (handedOver.isDone()) {
            a.outcome().completeExceptionally(new ProcessControl.UpgradeFailure("this cutover was taken over already", true));
            return a.outcome();
        }
        // starting a process blocks: on a thread of its own, never the admin API's loop
        Thread t = new Thread(() -> spawn(a), "upgrade");
        t.setDaemon(true);
        t.start();
        return a.outcome();
    }

    private void spawn(Attempt a) {
        long self = ProcessHandle.current().pid();
        Process p;
        try {
            List<String> cmd = successorCommand(Path.of("/proc/self/cmdline"));
            p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            a.pid().set(p.pid());
            log.info("upgrade: started pid {} to take over ({} ms after the request): {}", p.pid(), a.msSinceAsked(),
                    String.join(" ", cmd));
        } catch (IOException | RuntimeException e) {
            a.outcome().completeExceptionally(new ProcessControl.UpgradeFailure("cannot start the new process: " + e, false));
            return;
        }
        handedOver.thenAccept(pid -> a.outcome().complete(new ProcessControl.Upgraded(self, pid)));
        p.onExit().thenAccept(x -> a.outcome().completeExceptionally(new ProcessControl.UpgradeFailure(
                "the new process (pid " + x.pid() + ") exited with code " + x.exitValue()
                        + " before it took over; its output is in this cutover's log", false)));
        a.outcome().orTimeout(LIMIT.toSeconds(), TimeUnit.SECONDS).whenComplete((u, e) -> {
            if (e != null) {
                log.warn("upgrade failed, this cutover goes on: {}", e.getMessage());
            } else {
                log.info("upgraded: pid {} took over from pid {} ({} ms after the request)", u.to(), u.from(),
                        a.msSinceAsked());
            }
        });
    }

    /** Stops the successor of an upgrade still under way (this cutover stops instead). */
    public void stopSuccessor() {
        Attempt a = attempt.get();
        if (a != null && !a.outcome().isDone() && a.pid().get() != null) {
            ProcessHandle.of(a.pid().get()).ifPresent(p -> {
                log.info("stopping: the upgrade's new process (pid {}) is stopped too", p.pid());
                p.destroy();
            });
            a.outcome().completeExceptionally(new ProcessControl.UpgradeFailure("cutover is stopping", false));
        }
    }

    /** A takeover by {@code pid} failed or was refused: if it is this upgrade's successor, so is the upgrade. */
    void failed(int pid, String why) {
        Attempt a = attempt.get();
        if (a != null && a.pid().get() != null && a.pid().get() == pid) {
            a.outcome().completeExceptionally(new ProcessControl.UpgradeFailure("the new process (pid " + pid
                    + ") did not take over: " + why, false));
        }
    }
}
