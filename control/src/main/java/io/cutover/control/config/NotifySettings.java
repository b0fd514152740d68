package io.cutover.control.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Where events (deploys, canaries, bakes) are posted: {@code cutover.notify}. The URLs are
 * secrets (a Slack webhook URL is its own credential): {@link #toString} does not show them.
 *
 * @param webhooks http(s) URLs, each sent every event
 * @param timeout  one attempt's limit
 * @param attempts attempts per event and URL (1: no retry)
 */
public record NotifySettings(List<URI> webhooks, Duration timeout, int attempts) {
    public NotifySettings {
        webhooks = List.copyOf(webhooks);
    }

    @Override
    public String toString() {
        return "NotifySettings[" + webhooks.size() + " webhooks, timeout " + timeout + ", attempts " + attempts + "]";
    }
}
