package io.cutover.control;

import io.cutover.control.cli.Main;
import io.cutover.proxy.LeakDetection;
import io.cutover.proxy.NoBlockingOnEventLoops;
import java.util.List;

/**
 * {@code cutover} as tests run it in a JVM of its own ({@link ServeProcess}): with BlockHound
 * watching the event loops and every buffer tracked, as in the test JVM. A blocking call on an
 * event loop, or a buffer leak found when the JVM exits, is printed with a marker the test
 * looks for in the output ({@link #BLOCKING}, {@link #LEAK}).
 */
public final class ChildMain {
    static final String LEAK = "LEAK DETECTED IN CHILD JVM: ";
    static final String BLOCKING = "blocking call on event loop";

    private ChildMain() {
    }

    public static void main(String[] args) {
        LeakDetection.install();
        NoBlockingOnEventLoops.install();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                List<String> leaks = LeakDetection.collectLeaks();
                leaks.forEach(leak -> System.err.println(LEAK + leak));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "leak-check"));
        misbehaveOnCue(System.getProperty("cutover.test.misbehave", ""));
        Main.main(args);
    }

    /** What a test that proves these checks work asks for: a leaked buffer, or a blocking call on an event loop. */
    private static void misbehaveOnCue(String cue) {
        if (cue.equals("leak")) {
            io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(16).writeByte(1);    // never released
        } else if (cue.equals("block")) {
            io.netty.channel.EventLoopGroup loop = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                    io.netty.channel.nio.NioIoHandler.newFactory());
            loop.submit(() -> {
                Thread.sleep(1);    // deliberate: a blocking call on an event loop, for BlockHound to catch
                return null;
            }).addListener(f -> loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS));
        }
    }
}
