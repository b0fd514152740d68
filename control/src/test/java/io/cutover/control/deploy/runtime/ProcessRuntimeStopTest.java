package io.cutover.control.deploy.runtime;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.ProcessRuntime;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRuntimeStopTest {
    @TempDir
    Path dir;

    @Test
    void aStopInterruptedWhileItWaitsKillsTheWholeVersionAtOnceAndGivesTheInterruptBack() throws Exception {
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "stoptest",
                "cutover.app.runtime", "process", "cutover.state-dir", dir.toString(),
                "cutover.app.stop-timeout", "60s")).app().orElseThrow();
        ProcessRuntime runtime = new ProcessRuntime(app, dir);
        // a version that ignores SIGTERM: a stop waits its whole stop timeout for it, unless interrupted
        Instance stubborn = runtime.start(new Release(null,
                List.of("sh", "-c", "trap '' TERM; while true; do sleep 1; done"), Map.of()), Colour.BLUE, 1, "d1");
        AtomicBoolean interruptKept = new AtomicBoolean();
        Thread stopper = new Thread(() -> {
            runtime.stop(stubborn);
            interruptKept.set(Thread.currentThread().isInterrupted());
        }, "stopper");
        stopper.start();
        // waiting for it to exit after SIGTERM
        Eventually.value(Duration.ofSeconds(20), "the stop to wait", stopper::getState,
                state -> state == Thread.State.TIMED_WAITING);
        stopper.interrupt();
        stopper.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(stopper.isAlive(), "the interrupted stop ended without waiting out its 60 s");
        assertTrue(interruptKept.get(), "the interrupt was given back to the caller");
        assertTrue(runtime.notRunning(stubborn).isPresent(), "the version was killed");
    }
}
