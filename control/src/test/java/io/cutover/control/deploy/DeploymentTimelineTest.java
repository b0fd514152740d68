package io.cutover.control.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.deploy.runtime.Release;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A deployment's timeline and state on their own: its clock is a ticker the test moves. */
class DeploymentTimelineTest {
    private final AtomicLong now = new AtomicLong(Duration.ofHours(5).toNanos());
    private final Release v2 = new Release(null, List.of("app", "v2"), Map.of());

    private Deployment deployment(Deployment.Kind kind) {
        return new Deployment("d-7", kind, kind == Deployment.Kind.ROLLBACK ? null : v2, Instant.EPOCH, now::get);
    }

    @Test
    void eachStepIsTimedFromWhenTheDeploymentWasAcceptedAndTheTimelineEndsAtTheLastStep() {
        Deployment d = deployment(Deployment.Kind.DEPLOY);
        assertEquals(Duration.ZERO, d.elapsed(), "nothing done yet");
        now.addAndGet(Duration.ofMillis(1500).toNanos());
        d.step("candidate started", "v2 on green", Duration.ofMillis(1200));
        now.addAndGet(Duration.ofMillis(250).toNanos());
        d.step("healthy", "after 250 ms", Duration.ofMillis(250));
        assertEquals(List.of(new Deployment.Step("candidate started", "v2 on green", 1500, 1200),
                new Deployment.Step("healthy", "after 250 ms", 1750, 250)), d.steps());
        assertEquals(Duration.ofMillis(1750), d.elapsed());
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertEquals(Duration.ofMillis(1750), d.elapsed(), "done or not, it is as long as its steps so far");
    }

    @Test
    void aDeploymentIsQueuedThenRunsAndIsDoneOnlyOnceItSucceededOrFailed() {
        Deployment d = deployment(Deployment.Kind.DEPLOY);
        assertEquals(Deployment.State.QUEUED, d.state());
        assertFalse(d.done());
        d.running();
        assertEquals(Deployment.State.RUNNING, d.state());
        assertFalse(d.done());
        d.succeeded();
        assertEquals(Deployment.State.SUCCEEDED, d.state());
        assertTrue(d.done());
        assertNull(d.error());

        Deployment failed = deployment(Deployment.Kind.DEPLOY);
        failed.failed("not healthy after 30 s");
        assertEquals(Deployment.State.FAILED, failed.state());
        assertTrue(failed.done());
        assertEquals("not healthy after 30 s", failed.error());
    }

    @Test
    void warningsAreKeptInOrderAndWhatIsReturnedIsACopy() {
        Deployment d = deployment(Deployment.Kind.DEPLOY);
        d.warn("first");
        d.warn("second");
        assertEquals(List.of("first", "second"), d.warnings());
        d.step("one", "", Duration.ZERO);
        List<Deployment.Step> steps = d.steps();
        d.step("two", "", Duration.ZERO);
        assertEquals(1, steps.size(), "a timeline read earlier does not change");
    }

    @Test
    void aDeploymentDescribesItsKindIdAndReleaseAndARollbackNamesNoRelease() {
        Deployment deploy = deployment(Deployment.Kind.DEPLOY);
        assertEquals("deploy d-7 (deploy of " + v2.describe() + ")", deploy.describe());
        assertEquals("rollback d-7 (rollback)", deployment(Deployment.Kind.ROLLBACK).describe());
        assertEquals("d-7", deploy.id());
        assertEquals(Deployment.Kind.DEPLOY, deploy.kind());
        assertEquals(v2, deploy.release());
        assertEquals(Instant.EPOCH, deploy.accepted());
    }
}
