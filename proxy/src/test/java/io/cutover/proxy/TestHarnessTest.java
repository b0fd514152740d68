package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;

/** The guarantees every other test leans on: BlockHound watches the event loops, the transport is the one asked for. */
class TestHarnessTest {

    @Test
    void aBlockingCallOnAnEventLoopIsCaughtAndRecorded() throws Exception {
        try (TestProxy proxy = TestProxy.start()) {
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            proxy.server().group().next().execute(() -> {
                try {
                    Thread.sleep(1);    // deliberate: a blocking call on an event loop
                    thrown.complete(null);
                } catch (Throwable t) {
                    thrown.complete(t);
                }
            });
            assertInstanceOf(BlockingOperationError.class, thrown.get(10, TimeUnit.SECONDS));
        }
        List<String> calls = NoBlockingOnEventLoops.takeCalls();     // taken, so this test itself passes
        assertEquals(1, calls.size(), calls.toString());
        assertTrue(calls.get(0).contains("Thread.sleep"), calls.get(0));
    }

    @Test
    void theProxyRunsOnTheTransportThisRunIsFor() throws Exception {
        String asked = System.getProperty("cutover.transport");
        try (TestProxy proxy = TestProxy.start()) {
            assertEquals(asked.toLowerCase(Locale.ROOT), proxy.server().transport().toString());
        }
    }
}
