package io.cutover.control.config;

import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Target;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Everything {@code cutover serve} runs with, validated. */
public record Settings(
        InetSocketAddress listen,
        InetSocketAddress admin,
        Optional<String> adminToken,
        Optional<Target> target,
        String transport,
        int eventLoops,
        ProxySettings proxy,
        HealthSettings health,
        Duration drainDeadline,
        Duration keepRetiredSeries,
        Path stateDir,
        Optional<AppSettings> app) {
}
