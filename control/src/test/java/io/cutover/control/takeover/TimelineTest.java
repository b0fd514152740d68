package io.cutover.control.takeover;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimelineTest {

    @Test
    void theSummaryCountsFromTheProcessStartAndNamesEveryStepInOrder() {
        Instant now = Instant.now();
        Timeline t = new Timeline(now.minusMillis(1500), now);
        t.step("offer");
        t.step("prepare");
        String s = t.summary();
        assertTrue(s.contains("ms since this process started: start-up 1500, offer "), s);
        assertTrue(s.indexOf(", offer ") < s.indexOf(", prepare "), s);
    }

    @Test
    void withoutTheProcessStartItCountsFromTheTakeoversFirstStep() {
        Timeline t = new Timeline(null, Instant.now());
        t.step("offer");
        assertTrue(t.summary().contains(" ms since the takeover began: offer "), t.summary());
    }
}
