package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Where every request goes: one immutable routing table (the apps by host and path, each app's
 * active version, canary, maintenance and pause) behind one atomic reference. A switch, a canary
 * share, an app added: each is one flip of the table, effective for the very next request, with
 * no reload and no lock on the request path. Routing is per request, so the next request on an
 * existing keep-alive connection follows a flip too.
 */
public final class Router implements Routing {
    /** The app of a proxy that serves one: every host and path. */
    public static final String DEFAULT_APP = "default";

    /** The whole table: the apps in their slots, and the index that finds a request's slot. */
    private record Table(AppRoute[] routes, HostIndex index, Map<String, Integer> slots, List<AppRule> rules) {
        Table with(String app, UnaryOperator<AppRoute> change) {
            Integer slot = slots.get(app);
            if (slot == null) {
                throw new IllegalArgumentException("no app " + app);
            }
            AppRoute[] next = routes.clone();
            next[slot] = change.apply(routes[slot]);
            return new Table(next, index, slots, rules);
        }

        AppRoute app(String app) {
            Integer slot = slots.get(app);
            return slot == null ? null : routes[slot];
        }
    }

    private final AtomicReference<Table> table = new AtomicReference<>();
    /** The load balancer's health check, answered here before any app is looked up; null if off. */
    private volatile LbHealth lbHealth;

    /** A router with one app, {@value #DEFAULT_APP}, taking every request. */
    public Router() {
        table.set(build(List.of(AppRule.catchAll(DEFAULT_APP)), Map.of()));
    }

    private static Table build(List<AppRule> rules, Map<String, AppRoute> keep) {
        HostIndex index = HostIndex.of(rules);
        AppRoute[] routes = new AppRoute[rules.size()];
        Map<String, Integer> slots = new HashMap<>();
        for (int i = 0; i < routes.length; i++) {
            String name = rules.get(i).name();
            if (slots.put(name, i) != null) {
                throw new IllegalArgumentException("app " + name + " is named twice");
            }
            routes[i] = keep.getOrDefault(name, AppRoute.empty(name));
        }
        return new Table(routes, index, Map.copyOf(slots), List.copyOf(rules));
    }

    /**
     * Sets which apps there are and which requests each takes, in one flip: an app that stays
     * keeps its versions, canary, maintenance and pause; a new one has no version yet.
     *
     * @return the entries of the apps that are gone (their backends are the caller's to drain)
     * @throws IllegalArgumentException if two apps claim the same host and prefix (nothing changes)
     */
    public List<AppRoute> define(List<AppRule> rules) {
        List<AppRoute> gone = new ArrayList<>();
        table.updateAndGet(t -> {
            Map<String, AppRoute> keep = new HashMap<>();
            for (AppRoute r : t.routes()) {
                keep.put(r.name(), r);
            }
            Table next = build(rules, keep);
            gone.clear();
            for (AppRoute r : t.routes()) {
                if (!next.slots().containsKey(r.name())) {
                    gone.add(r);
                }
            }
            return next;
        });
        return gone;
    }

    /** The rules in force. */
    public List<AppRule> rules() {
        return table.get().rules();
    }

    /** Answers the load balancer's health check at {@code h}'s path from now on (null: off). */
    public void lbHealth(LbHealth h) {
        lbHealth = h;
    }

    public LbHealth lbHealth() {
        return lbHealth;
    }

    /** One app's view of the table: its switch, canary, maintenance and pause. */
    public AppRouter app(String name) {
        if (table.get().app(name) == null) {
            throw new IllegalArgumentException("no app " + name);
        }
        return new AppRouter(this, name);
    }

    /** An app's entry now, or null if there is no such app. */
    public AppRoute entry(String app) {
        return table.get().app(app);
    }

    /** Changes one app's entry in one flip; returns the entry it replaced. */
    AppRoute update(String app, UnaryOperator<AppRoute> change) {
        return table.getAndUpdate(t -> t.with(app, change)).app(app);
    }

    // The single app's shortcuts, for a proxy that serves one (tests, benchmarks).

    /** The backend taking the default app's new requests, or null. */
    public Backend active() {
        return app(DEFAULT_APP).active();
    }

    /** Switches the default app; see {@link AppRouter#flip}. */
    public Backend flip(Backend next) {
        return app(DEFAULT_APP).flip(next);
    }

    /** Maintenance of the default app on ({@code m}) or off (null). */
    public void maintenance(Maintenance m) {
        app(DEFAULT_APP).maintenance(m);
    }

    public Maintenance maintenance() {
        return app(DEFAULT_APP).maintenance();
    }

    /** The default app's pause, or null. */
    public Pause pause() {
        return app(DEFAULT_APP).pause();
    }

    @Override
    public Route route(RequestHead request, ClientAddress client) {
        LbHealth lb = lbHealth;
        if (lb != null && lb.matches(request)) {
            return lb;
        }
        Table t = table.get();
        for (;;) {
            HostIndex.Entry e = t.index().match(request);
            if (e == null) {
                return NotFound.INSTANCE;
            }
            AppRoute a = t.routes()[e.slot()];
            if (a.maintenance() != null) {
                return a.maintenance();
            }
            if (a.pause() != null) {
                return a.pause();
            }
            Forward f = a.pick(request, client, e.strip());
            if (f == null) {
                return null;
            }
            if (f.backend().tryEnter()) {
                a.sample().offer(request, f.strip());
                Shadow s = a.shadow();
                return s == null ? f : s.sampled(request, f, a.active());
            }
            t = table.get();     // a switch raced this request: route it again, to the new backend
        }
    }

    /**
     * Picks the default app's backend for one request and counts the request in ({@link
     * Backend#exit} counts it out); null if there is none. For measuring routing on its own.
     */
    public Backend route() {
        for (;;) {
            Backend b = table.get().app(DEFAULT_APP).active();
            if (b == null || b.tryEnter()) {
                return b;
            }
        }
    }
}
