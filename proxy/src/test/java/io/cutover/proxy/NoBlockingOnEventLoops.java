package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;

/**
 * Makes a blocking call on an event loop fail the test that made it. Registered for every test
 * class through JUnit's extension auto-detection, it installs BlockHound once per JVM; Netty's
 * own BlockHound integration (found on the class path) marks event-loop threads as threads that
 * must not block. The call throws where it is made, but an event loop may swallow that (a
 * handler's exceptionCaught), so every blocking call is also recorded here, and the test during
 * which one happened fails when it ends, naming the call and where it came from.
 */
public final class NoBlockingOnEventLoops implements AfterEachCallback {
    private static final List<String> CALLS = new CopyOnWriteArrayList<>();

    static {
        install();
    }

    /** Installs BlockHound with the recording callback; idempotent (tests and child JVMs call it). */
    public static void install() {
        BlockHound.install(builder -> builder
                // Netty's io_uring loop spins briefly while it tears its ring down at shutdown
                .allowBlockingCallsInside("io.netty.channel.uring.IoUringIoHandler", "closeWakeupGate")
                .blockingMethodCallback(method -> {
            BlockingOperationError error = new BlockingOperationError(method);
            StringWriter trace = new StringWriter();
            error.printStackTrace(new PrintWriter(trace));
            String report = "blocking call on event loop " + Thread.currentThread().getName() + ": " + trace;
            CALLS.add(report);
            System.err.println(report);
            throw error;
        }));
    }

    /** The blocking calls recorded so far, and forgets them. */
    public static List<String> takeCalls() {
        List<String> calls = List.copyOf(CALLS);
        CALLS.clear();
        return calls;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> calls = takeCalls();
        if (!calls.isEmpty()) {
            fail(calls.size() + " blocking call(s) on an event loop during " + context.getDisplayName() + ":\n"
                    + String.join("\n", calls));
        }
    }
}
