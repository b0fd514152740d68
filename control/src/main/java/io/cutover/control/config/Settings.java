package io.cutover.control.config;

import io.cutover.proxy.ProxySettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything {@code cutover serve} runs with, validated: the listener and admin API, and the
 * apps (one taking every request, or several by host and path).
 *
 * @param adminHosts    names besides IP addresses and localhost that the admin API answers as
 *                      its Host (lower case); any other Host is refused
 * @param drainDeadline how long in-flight requests may finish when cutover stops
 */
public record Settings(
        InetSocketAddress listen,
        InetSocketAddress admin,
        AdminTokenSetting adminToken,
        List<String> adminHosts,
        String transport,
        int eventLoops,
        ProxySettings proxy,
        Duration drainDeadline,
        Duration keepRetiredSeries,
        Path stateDir,
        AccessLogSettings accessLog,
        LbHealthSettings lbHealth,
        List<AppConfig> apps,
        Duration takeoverDeadline,
        java.util.Optional<Path> adminSocket,
        NotifySettings notifications) {

    /**
     * How long this cutover holds its apps for a process taking it over, at most: the
     * configured {@code cutover.takeover.deadline}, or (0) the longest health deadline plus 2 minutes.
     */
    public Duration takeoverHold() {
        if (!takeoverDeadline.isZero()) {
            return takeoverDeadline;
        }
        return apps.stream().map(a -> a.health().deadline()).max(Duration::compareTo).orElseThrow().plusMinutes(2);
    }

    /** The deploy settings of the first app, if it deploys (one app: the app). */
    public Optional<AppSettings> app() {
        return apps.get(0).deploy();
    }

    /** The first app's start-up target (one app: {@code cutover.target}). */
    public Optional<io.cutover.proxy.Target> target() {
        return apps.get(0).target();
    }

    /** The first app's health settings (one app: the app's). */
    public HealthSettings health() {
        return apps.get(0).health();
    }

    /** What may differ from {@code other} without a restart: the apps; anything else is named. */
    public List<String> restartNeededFor(Settings other) {
        List<String> keys = new java.util.ArrayList<>();
        if (!listen.equals(other.listen)) {
            keys.add("cutover.listen");
        }
        if (!admin.equals(other.admin)) {
            keys.add("cutover.admin");
        }
        if (!adminToken.equals(other.adminToken)) {
            keys.add("cutover.admin-token");
        }
        if (!adminSocket.equals(other.adminSocket)) {
            keys.add("cutover.admin-socket");
        }
        if (!adminHosts.equals(other.adminHosts)) {
            keys.add("cutover.admin-hosts");
        }
        if (!transport.equals(other.transport) || eventLoops != other.eventLoops) {
            keys.add("cutover.transport / cutover.event-loops");
        }
        if (!proxy.equals(other.proxy)) {
            keys.add("cutover.timeouts / limits / pool / trusted-proxies / proxy-protocol");
        }
        if (!stateDir.equals(other.stateDir)) {
            keys.add("cutover.state-dir");
        }
        if (!accessLog.equals(other.accessLog)) {
            keys.add("cutover.access-log");
        }
        if (!lbHealth.equals(other.lbHealth)) {
            keys.add("cutover.lb-health");
        }
        if (!notifications.equals(other.notifications)) {
            keys.add("cutover.notify");
        }
        return keys;
    }
}
