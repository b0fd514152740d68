package io.cutover.control.config;

import java.time.Duration;

/** How a target is probed before traffic is switched to it. */
public record HealthSettings(String path, Duration interval, Duration timeout, Duration deadline) {
}
