package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventuallyTest {

    @Test
    void aConditionThatNeverHoldsFailsSayingWhatWasAwaited() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Eventually.until(Duration.ofMillis(50), "the moon to turn blue", () -> false));
        assertTrue(e.getMessage().contains("the moon to turn blue"), e.getMessage());
    }

    @Test
    void aValueThatIsNeverAcceptedFailsShowingTheLastValueRead() {
        AtomicInteger reads = new AtomicInteger();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Eventually.value(Duration.ofMillis(50), "a negative count", reads::incrementAndGet, n -> n < 0));
        assertTrue(e.getMessage().contains("a negative count") && e.getMessage().contains("last seen: " + reads.get()),
                e.getMessage());
    }

    @Test
    void aConditionThatBecomesTrueReturnsAndAValueIsReturnedOnceAccepted() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        Eventually.until(Duration.ofSeconds(10), "the third read", () -> reads.incrementAndGet() >= 3);
        assertEquals(3, reads.get());
        assertEquals(5, Eventually.value(Duration.ofSeconds(10), "five", reads::incrementAndGet, n -> n == 5));
    }

    @Test
    void anExceptionFromTheConditionFailsAtOnce() {
        assertThrows(IOException.class, () -> Eventually.until(Duration.ofSeconds(30), "a read", () -> {
            throw new IOException("reset");
        }));
    }
}
