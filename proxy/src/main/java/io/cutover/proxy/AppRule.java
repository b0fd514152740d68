package io.cutover.proxy;

import java.util.List;
import java.util.Locale;

/**
 * Which requests an app takes: its host names (exact, or {@code *.example.com} for any name
 * under it; none: every host no other app names) and a path prefix, optionally stripped before
 * the request is forwarded.
 */
public record AppRule(String name, List<String> hosts, String pathPrefix, boolean stripPrefix) {

    public AppRule {
        hosts = hosts.stream().map(AppRule::normalHost).toList();
        if (pathPrefix == null || !pathPrefix.startsWith("/") || pathPrefix.chars().anyMatch(c -> c <= ' ' || c == '?')) {
            throw new IllegalArgumentException("path prefix must start with / and hold no spaces or '?', got '"
                    + pathPrefix + "'");
        }
        if (pathPrefix.length() > 1 && pathPrefix.endsWith("/")) {
            pathPrefix = pathPrefix.substring(0, pathPrefix.length() - 1);
        }
        for (String h : hosts) {
            if (h.isEmpty() || h.indexOf('*', 1) >= 0 || h.startsWith("*") && !h.startsWith("*.")
                    || h.chars().anyMatch(c -> c <= ' ' || c == '/' || c == ':')) {
                throw new IllegalArgumentException("host '" + h + "' is not a host name, nor *.NAME");
            }
        }
    }

    /** The app that takes every request: no hosts, prefix {@code /}. */
    public static AppRule catchAll(String name) {
        return new AppRule(name, List.of(), "/", false);
    }

    /**
     * Checks that no two apps claim the same host and prefix.
     *
     * @throws IllegalArgumentException naming both apps
     */
    public static void checkClaims(List<AppRule> rules) {
        HostIndex.of(rules);
    }

    private static String normalHost(String h) {
        String s = h.trim().toLowerCase(Locale.ROOT);
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
