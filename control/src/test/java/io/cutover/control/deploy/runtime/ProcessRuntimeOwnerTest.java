package io.cutover.control.deploy.runtime;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Owner;
import io.cutover.control.deploy.runtime.ProcessRuntime;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.Eventually;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A process belongs to the cutover whose state directory started it: its leftover sweep removes
 * its own, and what its state names (a process an older cutover started, without an owner tag),
 * never another cutover's, and leaves an untagged process its state does not name alone.
 */
class ProcessRuntimeOwnerTest {
    @TempDir
    Path dir;

    private final String name = "owner" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    private final List<ProcessHandle> started = new ArrayList<>();

    @AfterEach
    void killAll() throws Exception {
        for (ProcessHandle h : started) {
            h.destroyForcibly();
            h.onExit().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSweepRemovesOnlyThisStatesProcessesAndLeavesAnotherCutoversAndUnnamedUntaggedOnesAlone() throws Exception {
        ProcessRuntime mine = runtime(dir.resolve("mine"));
        ProcessRuntime theirs = runtime(dir.resolve("theirs"));
        Instance active = started(mine.start(sleeper(), Colour.BLUE, 1, "mine-active"));
        Instance leftover = started(mine.start(sleeper(), Colour.GREEN, 2, "mine-leftover"));
        Instance other = started(theirs.start(sleeper(), Colour.BLUE, 3, "theirs-active"));
        Instance oldActive = untagged("old-active");        // an older cutover's, named by this state
        Instance oldCandidate = untagged("old-candidate");  // idem: an interrupted deploy's
        Instance stray = untagged("stray");                 // named by no state here

        ListAppender<ILoggingEvent> logs = capture();
        List<String> removed;
        try {
            removed = mine.removeAllExcept(List.of(active, oldActive), List.of(active, oldActive, oldCandidate));
            assertEquals(List.of(), mine.removeAllExcept(List.of(active, oldActive),
                    List.of(active, oldActive, oldCandidate)), "nothing more to remove");
        } finally {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        }

        assertEquals(2, removed.size(), removed.toString());
        assertTrue(removed.stream().anyMatch(r -> r.startsWith("process " + leftover.handle() + " (")), removed.toString());
        assertTrue(removed.stream().anyMatch(r -> r.startsWith("process " + oldCandidate.handle() + " (")), removed.toString());
        assertTrue(mine.notRunning(leftover).isPresent());
        assertTrue(mine.notRunning(oldCandidate).isPresent());
        assertEquals(Optional.empty(), mine.notRunning(active));
        assertEquals(Optional.empty(), mine.notRunning(oldActive), "the state's untagged version is adopted");
        assertEquals(Optional.empty(), theirs.notRunning(other), "another cutover's version is never touched");
        assertEquals(Optional.empty(), mine.notRunning(stray), "an untagged one the state does not name is left alone");

        List<String> told = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, told.stream().filter(m -> m.contains("process " + stray.handle() + " (")).count(),
                "the untagged stray is named once, for the user to remove: " + told);
        assertFalse(told.stream().anyMatch(m -> m.contains("process " + other.handle() + " (")), "nothing said of another's: " + told);

        assertEquals(List.of("process " + other.handle() + " (blue, deploy theirs-active)"),
                theirs.removeAllExcept(List.of()), "the other cutover sweeps only its own");
        assertEquals(Optional.empty(), mine.notRunning(active));
    }

    @Test
    void theOwnerTagIsTheSameForTheSameDirectoryByAnyPathAndDiffersForAnother() throws Exception {
        Path real = Files.createDirectories(dir.resolve("state"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        assertEquals(Owner.of(real), Owner.of(link));
        assertEquals(Owner.of(real), Owner.of(dir.resolve("state/../state")));
        assertEquals(Owner.of(real), Owner.ofStateFile(link.resolve("web.json")));
        assertNotEquals(Owner.of(real), Owner.of(dir.resolve("other")));
        assertEquals(16, Owner.of(real).length());
        assertFalse(Owner.of(real).contains("state"), "a hash: no path in an app's environment");
    }

    private ProcessRuntime runtime(Path stateDir) {
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", name,
                "cutover.app.runtime", "process", "cutover.state-dir", stateDir.toString(),
                "cutover.app.stop-timeout", "5s")).app().orElseThrow();
        return new ProcessRuntime(app, stateDir);
    }

    private static Release sleeper() {
        return new Release(null, List.of("sleep", "60"), Map.of());
    }

    /** Waits until the process has exec'd (it carries its tags), and cleans it up after the test. */
    private Instance started(Instance i) throws Exception {
        ProcessHandle h = ProcessHandle.of(Long.parseLong(i.handle())).orElseThrow();
        started.add(h);
        awaitTagged(h.pid());
        return i;
    }

    /** A process as a cutover before owner tags started it: the app's tags, no owner. */
    private Instance untagged(String deployId) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sleep", "60");
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().put("CUTOVER_APP", name);
        pb.environment().put("CUTOVER_COLOUR", "green");
        pb.environment().put("CUTOVER_DEPLOY_ID", deployId);
        Process p = pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p.toHandle());
        awaitTagged(p.pid());
        return new Instance(Colour.GREEN, 4, sleeper(), deployId, Long.toString(p.pid()),
                p.toHandle().info().startInstant().orElse(null));
    }

    private static void awaitTagged(long pid) throws Exception {
        Eventually.until(Duration.ofSeconds(20), "process " + pid + " to exec",
                () -> new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
                        StandardCharsets.UTF_8).contains("CUTOVER_DEPLOY_ID="));
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(appender);
        return appender;
    }
}
