package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What an operator graphs: latency histograms per version, a HELP text on every meter, JVM and pool figures. */
class OperatorMetricsTest {

    @Test
    void requestLatencyIsAHistogramPerAppVersionAndStatusAndEveryMeterSaysWhatItIs() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestCutover c = TestCutover.start("cutover.target", app.target().toString())) {
            for (int i = 0; i < 5; i++) {
                assertEquals(200, c.get("/").statusCode());
            }
            String m = c.admin("GET", "/metrics", null).body();
            String series = "app=\"default\",status=\"2xx\",target=\"" + app.target() + "\",version=\"" + app.target() + "\"";
            assertTrue(m.contains("cutover_requests_seconds_bucket{" + series + ",le=\"+Inf\"} 5"), m);
            assertTrue(m.contains("cutover_requests_seconds_bucket{" + series + ",le=\"0.001\"}"), "buckets from 1 ms");
            assertTrue(m.contains("cutover_requests_seconds_count{" + series + "} 5"), m);
            List<String> noHelp = m.lines().filter(Pattern.compile("^# HELP \\S+\\s*$").asPredicate()).toList();
            assertEquals(List.of(), noHelp, "every meter has a HELP text");
            for (String meter : List.of("jvm_memory_used_bytes", "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads",
                    "process_cpu_usage", "process_files_open_files", "process_uptime_seconds",
                    "netty_allocator_memory_used_bytes{memory_type=\"direct\"}", "cutover_backend_connections{app=\"default\",state=\"open\"}",
                    "cutover_backend_connections{app=\"default\",state=\"idle\"}")) {
                assertTrue(m.contains(meter), meter + " is missing:\n" + m);
            }
        }
    }

    @Test
    void aClientTooSlowToSendItsBodyIsCountedAsTheClientsFailureNeverAsTheApps() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestCutover c = TestCutover.start("cutover.target", app.target().toString(),
                     "cutover.timeouts.request-body-idle", "300ms")) {
            assertEquals(200, c.get("/").statusCode());
            try (RawHttp slow = new RawHttp(new InetSocketAddress("127.0.0.1", c.proxyUri("/").getPort()))) {
                slow.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
                assertEquals(408, slow.read().status());
            }
            String tags = "target=\"" + app.target() + "\",version=\"" + app.target() + "\"";
            String m = Eventually.value(Duration.ofSeconds(20), "a client_slow series",
                    () -> c.admin("GET", "/metrics", null).body(),
                    body -> body.contains("status=\"client_slow\""));
            assertTrue(m.contains("cutover_requests_seconds_count{app=\"default\",status=\"client_slow\"," + tags + "} 1"), m);
            assertTrue(!m.contains("status=\"5xx\"") && !m.contains("status=\"cut\""), "no error series for the app:\n" + m);
        }
    }
}
