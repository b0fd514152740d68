package io.cutover.control;

import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An app runtime the test steers: a version "runs" on its colour's port, where the test serves
 * whatever it likes, and a call can be made to hang on cue (a paused Docker engine, a slow start).
 */
final class FakeRuntime implements AppRuntime {

    /** A point where calls wait once it is closed, until it is opened again (bounded). */
    static final class Gate {
        private volatile CountDownLatch open = new CountDownLatch(0);
        private final CountDownLatch reached = new CountDownLatch(1);

        void close() {
            open = new CountDownLatch(1);
        }

        void open() {
            open.countDown();
        }

        /** Waits until a call is held here. */
        boolean awaitHeld(long seconds) throws InterruptedException {
            return reached.await(seconds, TimeUnit.SECONDS);
        }

        void pass() {
            CountDownLatch latch = open;
            if (latch.getCount() > 0) {
                reached.countDown();
                try {
                    latch.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    final Gate notRunning = new Gate();
    final Gate start = new Gate();
    /** The instances stopped so far, in order. */
    final List<Instance> stopped = new CopyOnWriteArrayList<>();
    /** When each of {@link #stopped} was stopped. */
    final List<java.time.Instant> stoppedAt = new CopyOnWriteArrayList<>();
    /** Instances their restart policy is bringing back: not running, yet not stopped either. */
    final List<Instance> restarting = new CopyOnWriteArrayList<>();
    /** The instances started so far, in order. */
    final List<Instance> started = new CopyOnWriteArrayList<>();
    /** "start DEPLOY" and "stop DEPLOY", in the order they happened. */
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** When set, stop() throws it (a runtime failing after the flip). */
    volatile RuntimeException stopFails;
    /** When set, every call throws it (a Docker engine not up yet). */
    volatile RuntimeException down;

    @Override
    public Optional<String> notRunning(Instance instance, int k) {
        notRunning.pass();
        check();
        if (stopped.stream().anyMatch(instance::sameRun)) {
            return Optional.of("is stopped");
        }
        return restarting.stream().anyMatch(instance::sameRun) ? Optional.of("is restarting") : Optional.empty();
    }

    private void check() {
        RuntimeException e = down;
        if (e != null) {
            throw e;
        }
    }

    @Override
    public Instance start(Release release, Colour colour, List<Integer> ports, String deployId) {
        start.pass();
        check();
        calls.add("start " + deployId);
        Instant now = Instant.now();
        Instance i = Instance.of(colour, release, deployId,
                ports.stream().map(p -> new Instance.Replica(p, "fake-" + deployId + "-" + p, now)).toList());
        started.add(i);
        return i;
    }

    Instance lastStarted(String deployId) {
        return started.stream().filter(i -> i.deployId().equals(deployId)).reduce((a, b) -> b).orElseThrow();
    }

    @Override
    public Instance restart(Instance instance) {
        check();
        stopped.removeIf(instance::sameRun);
        return instance;
    }

    @Override
    public List<String> logs(Instance instance, int k, int lines) {
        return List.of();
    }

    @Override
    public void stop(Instance instance) {
        check();
        RuntimeException e = stopFails;
        if (e != null) {
            throw e;
        }
        calls.add("stop " + instance.deployId());
        stoppedAt.add(java.time.Instant.now());
        stopped.add(instance);
        restarting.removeIf(instance::sameRun);
    }

    /** The instances removed so far, in order. */
    final List<Instance> removed = new CopyOnWriteArrayList<>();

    @Override
    public void remove(Instance instance) {
        removed.add(instance);
    }

    @Override
    public List<String> removeAllExcept(Collection<Instance> keep, Collection<Instance> recorded) {
        check();
        return List.of();
    }

    @Override
    public String kind() {
        return "fake";
    }
}
