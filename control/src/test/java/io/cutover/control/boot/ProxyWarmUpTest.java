package io.cutover.control.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.AppConfig;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestProxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The warm-up of a cutover taking over: its requests reach each app's health path through the proxy's own path. */
class ProxyWarmUpTest {

    private static AppConfig app(Map<String, Object> keys) {
        Map<String, Object> all = new HashMap<>(Map.of("cutover.target", "127.0.0.1:1", "cutover.health.path", "/up"));
        all.putAll(keys);
        return ConfigLoader.load(Optional.empty(), all).apps().get(0);
    }

    @Test
    void eachRequestIsRoutedToItsAppsHealthPath() {
        assertTrue(ProxyWarmUp.request(app(Map.of())).startsWith("GET /up HTTP/1.1\r\nHost: warm-up.invalid\r\n"));
        AppConfig api = ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.apps.api.hosts", List.of("*.example.com"), "cutover.apps.api.path-prefix", "/api",
                "cutover.apps.api.strip-prefix", true, "cutover.apps.api.target", "127.0.0.1:1",
                "cutover.apps.api.health.path", "/up")).apps().get(0);
        assertTrue(ProxyWarmUp.request(api).startsWith("GET /api/up HTTP/1.1\r\nHost: warm-up.example.com\r\n"),
                ProxyWarmUp.request(api));
    }

    @Test
    void itSendsItsRequestsThroughTheProxyToTheActiveVersionAndClosesItsListener() throws Exception {
        try (TestBackend backend = TestBackend.start("app"); TestProxy proxy = TestProxy.start()) {
            proxy.switchTo(backend.target());
            // the time limit far off: what is checked is where the requests go, not how fast
            ProxyWarmUp.run(proxy.server(), List.of(app(Map.of("cutover.health.path", "/health"))),
                    Duration.ofSeconds(40));
            assertEquals(ProxyWarmUp.REQUESTS, backend.requests(), "every warm-up request was answered by the app");
            assertTrue(backend.seen().stream().allMatch(s -> s.equals("GET /health")), backend.seen().toString());
            // the proxy's side closes once it reads the end
            Eventually.value(Duration.ofSeconds(10), "the warm-up's connection to close",
                    proxy.server()::clientConnections, open -> open == 0);
        }
    }
}
