package io.cutover.control.observe;

import io.cutover.proxy.Target;
import io.cutover.proxy.TrafficObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * cutover's meters, scraped in Prometheus format from the admin port ({@code GET /metrics}).
 * Requests are timed by app, version and status class ({@code cutover_requests_seconds}, a
 * histogram of the whole exchange: p50 and p99 per version come from {@code histogram_quantile});
 * a client's own failures have status classes of their own ({@code client_gone}: it left;
 * {@code client_slow}: its body was too slow, answered 408), never 5xx or cut;
 * switches, health waits, drains, canaries and deploys are counted and timed where they happen,
 * each tagged with its app.
 */
public final class Metrics implements TrafficObserver, AutoCloseable {
    /**
     * The latency buckets of every request histogram, 1 ms to a minute: few enough that recording
     * stays cheap (Micrometer's own series has about 70), fine enough for p50 and p99.
     */
    private static final Duration[] BUCKETS = java.util.stream.LongStream.of(
            1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final java.util.concurrent.atomic.LongAdder proxied = new java.util.concurrent.atomic.LongAdder();

    /**
     * With the JVM's, the process's and Netty's pooled allocator's meters too (memory, GC,
     * threads, CPU, file descriptors, uptime, direct memory the proxy's buffers hold).
     */
    public Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        // Micrometer's Netty binder leaves its HELP texts empty: the two figures that matter, described
        PooledByteBufAllocatorMetric netty = PooledByteBufAllocator.DEFAULT.metric();
        Gauge.builder("netty.allocator.memory.used", netty, PooledByteBufAllocatorMetric::usedDirectMemory)
                .description("Memory held by the proxy's pooled buffers (Netty's allocator)")
                .baseUnit("bytes").tag("memory.type", "direct").register(registry);
        Gauge.builder("netty.allocator.memory.used", netty, PooledByteBufAllocatorMetric::usedHeapMemory)
                .description("Memory held by the proxy's pooled buffers (Netty's allocator)")
                .baseUnit("bytes").tag("memory.type", "heap").register(registry);
    }

    @Override
    public void close() {
        gc.close();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public RequestObserver forBackend(String app, Target target, String version) {
        Timer[] byClass = new Timer[8];     // 0 cut, 1-5 for 1xx-5xx, 6 client gone, 7 client too slow
        return (status, nanos) -> {
            proxied.increment();
            int i = status == CLIENT_GONE ? 6 : status == CLIENT_TOO_SLOW ? 7 : status / 100;
            if (i < 0 || i > 7) {
                i = 0;
            }
            Timer t = byClass[i];
            if (t == null) {
                t = Timer.builder("cutover.requests")
                        .description("Proxied requests by app, version and status class, with their latency")
                        .serviceLevelObjectives(BUCKETS)
                        .tags("app", app, "version", version, "target", target.toString(), "status", statusClass(i))
                        .register(registry);
                byClass[i] = t;     // a benign race: register returns the same meter
            }
            t.record(nanos, TimeUnit.NANOSECONDS);
        };
    }

    /** How many proxied requests have ended since the start, of every app (a rolling deploy watches it). */
    public long requestsEnded() {
        return proxied.sum();
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
            case 7 -> "client_slow";
            default -> i + "xx";
        };
    }
}
