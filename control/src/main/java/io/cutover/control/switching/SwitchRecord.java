package io.cutover.control.switching;

import io.cutover.proxy.DrainResult;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.time.Instant;

/**
 * One switch: from where (null on the first), to where, when, how long the health gate took, and
 * how the drain of the old backend went (null while it is still draining).
 */
public record SwitchRecord(Target from, Target to, Instant at, Duration healthWait, DrainResult drain) {
    SwitchRecord drained(DrainResult result) {
        return new SwitchRecord(from, to, at, healthWait, result);
    }
}
