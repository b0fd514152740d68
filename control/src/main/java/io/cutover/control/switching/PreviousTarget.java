package io.cutover.control.switching;

import io.cutover.control.health.HealthCheck;
import io.cutover.control.health.RecentTargetsWatch;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Target;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;

/**
 * The target traffic was switched away from last (where a rollback goes), and the watch that
 * keeps probing it and the few targets left before it, so that a switch back to one of them may
 * flip at once. The watch runs on the control loop; what it found may be read from anywhere.
 */
public final class PreviousTarget {

    /** What keeps probing the targets left recently: {@link RecentTargetsWatch} ({@link #of}), or a test's fake. */
    public interface Watch {
        /** On the control loop: traffic left {@code target}, watched from now on (the most recent). */
        void watch(Target target, InetSocketAddress resolved);

        /** On the control loop: traffic goes to {@code target} again, no longer watched. */
        void unwatch(Target target);

        /** On the control loop: {@code target} was stopped, it is cold until a probe passes again. */
        void forget(Target target);

        /**
         * Whether {@code target} is watched and passed a recent probe at {@code address} (null:
         * wherever it was probed), from any thread.
         */
        boolean warm(Target target, InetSocketAddress address);

        /** On the control loop: probes with {@code next} from now on. */
        void health(HealthCheck next);

        /** On the control loop: stops watching for good. */
        void stop();
    }

    /** {@code watch} as a {@link Watch}. */
    public static Watch of(RecentTargetsWatch watch) {
        return new Watch() {
            @Override
            public void watch(Target target, InetSocketAddress resolved) {
                watch.watch(target, resolved);
            }

            @Override
            public void unwatch(Target target) {
                watch.unwatch(target);
            }

            @Override
            public void forget(Target target) {
                watch.forget(target);
            }

            @Override
            public boolean warm(Target target, InetSocketAddress address) {
                return watch.warm(target, address);
            }

            @Override
            public void health(HealthCheck next) {
                watch.health(next);
            }

            @Override
            public void stop() {
                watch.stop();
            }
        };
    }

    private final Watch watch;
    private final EventLoop control;
    private volatile Target target;

    public PreviousTarget(Watch watch, EventLoop control) {
        this.watch = watch;
        this.control = control;
    }

    /** Traffic left {@code old}: it is the previous target from now on, and watched. */
    void left(Backend old) {
        target = old.target();
        onControl(() -> watch.watch(old.target(), old.address()));
    }

    /** Traffic goes to {@code t} now: it is no longer watched (it may have been left before). */
    void entered(Target t) {
        onControl(() -> watch.unwatch(t));
    }

    /** The target traffic was switched away from last, if any. */
    public Target target() {
        return target;
    }

    /**
     * Whether a switch to {@code t} at {@code address} may flip at once: {@code t} is a target
     * left recently, its background probe at that address just passed.
     */
    boolean warm(Target t, InetSocketAddress address) {
        return watch.warm(t, address);
    }

    /** Whether a switch back to {@link #target()} would flip at once: its background probe just passed. */
    public boolean warm() {
        Target p = target;
        return p != null && watch.warm(p, null);
    }

    /** The version at {@code t} was stopped: a switch back to it probes it first. */
    public void stopped(Target t) {
        onControl(() -> watch.forget(t));
    }

    /** Probes with {@code next} from the next probe on (a reload changed the app's health settings). */
    void health(HealthCheck next) {
        onControl(() -> watch.health(next));
    }

    /** Stops watching for good (the app's control stops). */
    void stop() {
        onControl(watch::stop);
    }

    /**
     * Runs {@code work} on the control loop, or not at all once that loop stops (cutover stops:
     * nothing is watched any more); never throws, so a flip's bookkeeping goes on regardless.
     */
    private void onControl(Runnable work) {
        try {
            control.execute(work);
        } catch (RejectedExecutionException e) {
            // the control loop is shutting down
        }
    }
}
