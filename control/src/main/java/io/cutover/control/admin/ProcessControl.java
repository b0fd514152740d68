package io.cutover.control.admin;

import java.util.concurrent.CompletableFuture;

/** What the admin API asks of the cutover process itself, beside its apps. */
public interface ProcessControl {

    /** Opens the access log file again (after logrotate moved it). */
    void reopenLogs();

    /**
     * Replaces this process with a new one started from the same command line (the binaries on
     * disk now), which takes over with no gap; completes once it did, or failed.
     */
    CompletableFuture<Upgraded> upgrade();

    /** The load balancer's health check this cutover answers, or empty if it answers none. */
    java.util.Optional<LoadBalancer> loadBalancer();

    /**
     * The check ({@code cutover.lb-health}), its grace, and the count of proxied requests ended
     * so far, by which one sees whether the balancer still sends.
     */
    record LoadBalancer(io.cutover.proxy.LbHealth check, java.time.Duration grace,
                        java.util.function.LongSupplier requests) {
    }

    /** The process that took over. */
    record Upgraded(long from, long to) {
    }

    /** An upgrade that did not happen; the running cutover goes on. */
    final class UpgradeFailure extends RuntimeException {
        private final boolean conflict;

        public UpgradeFailure(String message, boolean conflict) {
            super(message);
            this.conflict = conflict;
        }

        /** Another upgrade or takeover is under way (as opposed to: the new process failed). */
        public boolean conflict() {
            return conflict;
        }
    }
}
