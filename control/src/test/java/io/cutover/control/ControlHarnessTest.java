package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.ProcessRuntime;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.proxy.NoBlockingOnEventLoops;
import io.cutover.proxy.Target;
import io.cutover.proxy.TestProxy;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockingOperationError;

/** BlockHound knows what blocks in the control plane, not only in the JDK (see BlockingControlCalls). */
class ControlHarnessTest {
    @TempDir
    Path dir;

    private static Throwable onAnEventLoop(Supplier<?> call) throws Exception {
        EventLoopGroup loop = TestProxy.transport().newGroup(1);
        try {
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            loop.execute(() -> {
                try {
                    call.get();
                    thrown.complete(null);
                } catch (Throwable t) {
                    thrown.complete(t);
                }
            });
            return thrown.get(10, TimeUnit.SECONDS);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            NoBlockingOnEventLoops.takeCalls();     // recorded on purpose: this test is not to fail for it
        }
    }

    @Test
    void aCutoverJvmStartedByATestThatLeaksABufferFailsTheTest() throws Exception {
        ServeProcess child = ServeProcess.start(List.of("-Dcutover.test.misbehave=leak"), "--target", "127.0.0.1:9");
        AssertionError e = assertThrows(AssertionError.class, child::close);
        assertTrue(e.getMessage().contains(ChildMain.LEAK), e.getMessage());
    }

    @Test
    void aCutoverJvmStartedByATestThatBlocksAnEventLoopFailsTheTest() throws Exception {
        ServeProcess child = ServeProcess.start(List.of("-Dcutover.test.misbehave=block"), "--target", "127.0.0.1:9");
        AssertionError e = assertThrows(AssertionError.class, child::close);
        assertTrue(e.getMessage().contains(ChildMain.BLOCKING), e.getMessage());
    }

    @Test
    void askingARuntimeOnAnEventLoopIsCaught() throws Exception {
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "harness",
                "cutover.app.runtime", "process", "cutover.state-dir", dir.toString())).app().orElseThrow();
        ProcessRuntime runtime = new ProcessRuntime(app, dir);
        Instance nothing = new Instance(Colour.BLUE, 1, new Release(null, List.of("x"), Map.of()), "d", "1",
                Instant.EPOCH);
        assertInstanceOf(BlockingOperationError.class, onAnEventLoop(() -> runtime.notRunning(nothing)));
    }

    @Test
    void resolvingAHostNameOnAnEventLoopIsCaught() throws Exception {
        // a name never asked before in this JVM, so the JDK's cache cannot answer it
        String name = "cutover-" + System.nanoTime() + ".invalid";
        Throwable t = onAnEventLoop(() -> new Target(name, 80).resolve());
        assertInstanceOf(BlockingOperationError.class, t);
        assertTrue(t.getMessage().contains("lookupAllHostAddr"), t.getMessage());
    }
}
