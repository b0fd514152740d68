package io.cutover.control.config;

import java.time.Duration;

/**
 * The load balancer's health check that cutover answers itself: its path (empty: off), and how
 * long it fails before cutover stops accepting on SIGTERM. See reference.conf.
 */
public record LbHealthSettings(String path, Duration grace) {
    public boolean on() {
        return !path.isEmpty();
    }
}
