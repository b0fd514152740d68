package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the app of a request: exact host, then the longest matching wildcard, then the apps
 * with no hosts; within the first of those that has one, the longest path prefix. The port in
 * {@code Host} is ignored. Built once per configuration, read by every request without a lock.
 */
final class HostIndex {
    /** One app under one host: its slot in the table, its prefix, and how much of the path to strip. */
    record Entry(int slot, String prefix, int strip) {
        boolean matches(String path) {
            return prefix.equals("/") || path.startsWith(prefix)
                    && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/');
        }
    }

    private record Wildcard(String suffix, Entry[] entries) {
    }

    private final Map<String, Entry[]> exact;
    private final Wildcard[] wildcards;
    private final Entry[] catchAll;
    /** The entry every request gets when there is one app, for every host and path: no lookup at all. */
    private final Entry only;

    private HostIndex(Map<String, Entry[]> exact, Wildcard[] wildcards, Entry[] catchAll) {
        this.exact = exact;
        this.wildcards = wildcards;
        this.catchAll = catchAll;
        this.only = exact.isEmpty() && wildcards.length == 0 && catchAll.length == 1
                && catchAll[0].prefix().equals("/") ? catchAll[0] : null;
    }

    /**
     * Indexes the rules, the i-th app in slot i.
     *
     * @throws IllegalArgumentException naming both apps, when two claim the same host and prefix
     */
    static HostIndex of(List<AppRule> rules) {
        Map<String, List<Entry>> byHost = new HashMap<>();
        Map<String, String> claimedBy = new HashMap<>();
        for (int slot = 0; slot < rules.size(); slot++) {
            AppRule r = rules.get(slot);
            Entry e = new Entry(slot, r.pathPrefix(), r.stripPrefix() && !r.pathPrefix().equals("/")
                    ? r.pathPrefix().length() : 0);
            for (String host : r.hosts().isEmpty() ? List.of("") : r.hosts()) {
                String claim = host + " " + r.pathPrefix();
                String other = claimedBy.putIfAbsent(claim, r.name());
                if (other != null) {
                    throw new IllegalArgumentException("apps " + other + " and " + r.name() + " both claim "
                            + (host.isEmpty() ? "every host" : "host " + host) + " with path prefix " + r.pathPrefix());
                }
                byHost.computeIfAbsent(host, h -> new ArrayList<>()).add(e);
            }
        }
        Map<String, Entry[]> exact = new HashMap<>();
        List<Wildcard> wildcards = new ArrayList<>();
        Entry[] catchAll = new Entry[0];
        for (Map.Entry<String, List<Entry>> e : byHost.entrySet()) {
            Entry[] longestFirst = e.getValue().stream()
                    .sorted(Comparator.comparingInt((Entry x) -> x.prefix().length()).reversed()).toArray(Entry[]::new);
            if (e.getKey().isEmpty()) {
                catchAll = longestFirst;
            } else if (e.getKey().startsWith("*.")) {
                wildcards.add(new Wildcard(e.getKey().substring(1), longestFirst));
            } else {
                exact.put(e.getKey(), longestFirst);
            }
        }
        wildcards.sort(Comparator.comparingInt((Wildcard w) -> w.suffix().length()).reversed());
        return new HostIndex(Map.copyOf(exact), wildcards.toArray(Wildcard[]::new), catchAll);
    }

    /** The request's app, or null when none takes it. */
    Entry match(RequestHead head) {
        if (only != null) {
            return only;
        }
        String path = path(head.target());
        // an absolute-form target names the host itself, which wins over Host (RFC 9112 3.2.2):
        // the same host the backend gets in its Host and X-Forwarded-Host
        String host = host(head.targetHost());
        if (host != null) {
            Entry e = longestPrefix(exact.get(host), path);
            if (e != null) {
                return e;
            }
            for (Wildcard w : wildcards) {
                if (host.endsWith(w.suffix()) && host.length() > w.suffix().length()) {
                    e = longestPrefix(w.entries(), path);
                    if (e != null) {
                        return e;
                    }
                }
            }
        }
        return longestPrefix(catchAll, path);
    }

    private static Entry longestPrefix(Entry[] entries, String path) {
        if (entries != null) {
            for (Entry e : entries) {
                if (e.matches(path)) {
                    return e;
                }
            }
        }
        return null;
    }

    /** The path of a request target, without its query; an absolute-form target's path. */
    static String path(String target) {
        String t = target;
        if (!t.startsWith("/")) {
            int scheme = t.indexOf("://");
            int slash = scheme < 0 ? -1 : t.indexOf('/', scheme + 3);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    /** A Host value as a name: lower case, without its port or a trailing dot; null if absent. */
    static String host(String value) {
        if (value == null) {
            return null;
        }
        String h = value.trim();
        int end = h.length();
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            end = close < 0 ? end : close + 1;
        } else {
            int colon = h.lastIndexOf(':');
            end = colon < 0 ? end : colon;
        }
        if (end > 0 && h.charAt(end - 1) == '.') {
            end--;
        }
        return h.substring(0, end).toLowerCase(Locale.ROOT);
    }
}
