package io.cutover.control;

import io.cutover.proxy.Target;
import io.cutover.proxy.TrafficObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;

/**
 * cutover's meters, scraped in Prometheus format from the admin port ({@code GET /metrics}).
 * Requests are timed by app, version and status class ({@code cutover_requests_seconds});
 * switches, health waits, drains, canaries and deploys are counted and timed where they happen,
 * each tagged with its app.
 */
public final class Metrics implements TrafficObserver {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public RequestObserver forBackend(String app, Target target, String version) {
        Timer[] byClass = new Timer[8];     // 0 cut, 1-5 for 1xx-5xx, 6 client gone
        return (status, nanos) -> {
            int i = status == CLIENT_GONE ? 6 : status / 100;
            if (i < 0 || i > 6) {
                i = 0;
            }
            Timer t = byClass[i];
            if (t == null) {
                t = Timer.builder("cutover.requests")
                        .description("Proxied requests by version and status class, with their latency")
                        .tags("app", app, "version", version, "target", target.toString(), "status", statusClass(i))
                        .register(registry);
                byClass[i] = t;     // a benign race: register returns the same meter
            }
            t.record(nanos, TimeUnit.NANOSECONDS);
        };
    }

    /** Removes the request series of a version traffic has left for good. */
    public void forget(String app, Target target, String version) {
        registry.find("cutover.requests").tags("app", app, "target", target.toString(), "version", version).meters()
                .forEach(registry::remove);
    }

    private static String statusClass(int i) {
        return switch (i) {
            case 0 -> "cut";
            case 6 -> "client_gone";
            default -> i + "xx";
        };
    }
}
