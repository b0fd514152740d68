package io.cutover.control;

import io.cutover.control.config.AppConfig;
import io.cutover.control.config.ConfigError;
import io.cutover.control.config.Settings;
import io.cutover.proxy.AppRoute;
import io.cutover.proxy.Backend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cutover reload} and SIGHUP: reads the configuration again and, if it is valid, adds,
 * changes and removes apps. An invalid one changes nothing and says why; so does one that
 * changes what needs a restart (the listener, the admin API, the transport, proxy limits), and
 * one that would change or remove an app while it deploys. An app that stays keeps routing to
 * its version throughout; a removed app's versions drain.
 */
public final class Reload implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reload.class);

    /** The configuration cannot be applied; nothing changed. */
    public static final class RefusedException extends Exception {
        private final boolean conflict;

        RefusedException(String message, boolean conflict) {
            super(message);
            this.conflict = conflict;
        }

        /** A deploy is running (409), rather than the configuration being wrong (400). */
        public boolean conflict() {
            return conflict;
        }
    }

    /** What a reload did, app by app. */
    public record Outcome(List<String> added, List<String> changed, List<String> removed, List<String> unchanged) {
    }

    private final java.util.function.Supplier<Settings> config;
    private final Apps apps;
    private final App.Wiring wiring;
    private Settings current;
    /** Reads files and restores apps (both may block): never on an event loop; one reload at a time. */
    private final ExecutorService thread = Executors.newSingleThreadExecutor(ControlLoop.daemon("cutover-reload"));

    Reload(Settings current, java.util.function.Supplier<Settings> config, Apps apps, App.Wiring wiring) {
        this.current = current;
        this.config = config;
        this.apps = apps;
        this.wiring = wiring;
    }

    public CompletableFuture<Outcome> run() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return apply();
            } catch (RefusedException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, thread);
    }

    private Outcome apply() throws RefusedException {
        Settings next;
        try {
            next = config.get();
        } catch (ConfigError e) {
            throw new RefusedException("the configuration is invalid, nothing changed: " + e.getMessage(), false);
        }
        List<String> restart = current.restartNeededFor(next);
        if (!restart.isEmpty()) {
            throw new RefusedException("nothing changed: " + String.join(", ", restart)
                    + " changed, which needs a restart of cutover", false);
        }
        Map<String, App> before = apps.byName();
        Map<String, AppConfig> after = new LinkedHashMap<>();
        next.apps().forEach(a -> after.put(a.name(), a));
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (App a : before.values()) {
            AppConfig c = after.get(a.name());
            if (c == null || !c.equals(a.config())) {
                if (a.deployer().flatMap(d -> d.running()).isPresent()) {
                    throw new RefusedException("nothing changed: app " + a.name() + " is deploying; reload after it",
                            true);
                }
                (c == null ? removed : changed).add(a.name());
            } else {
                unchanged.add(a.name());
            }
        }
        after.keySet().stream().filter(n -> !before.containsKey(n)).forEach(added::add);
        if (added.isEmpty() && changed.isEmpty() && removed.isEmpty()) {
            current = next;
            return new Outcome(added, changed, removed, unchanged);
        }
        for (String name : changed) {
            before.get(name).close();
        }
        for (String name : removed) {
            before.get(name).close();
        }
        List<AppRoute> gone = wiring.proxy().router().define(next.apps().stream().map(AppConfig::rule).toList());
        List<App> now = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (AppConfig c : next.apps()) {
            App kept = unchanged.contains(c.name()) ? before.get(c.name()) : null;
            if (kept == null) {
                try {
                    kept = App.start(c, wiring);
                } catch (RuntimeException e) {
                    log.error("reload: app {} could not start: {}", c.name(), e.getMessage());
                    failed.add(c.name() + " (" + e.getMessage() + ")");
                    continue;
                }
            }
            now.add(kept);
        }
        apps.set(now);
        for (AppRoute r : gone) {
            drain(r, before.get(r.name()).config());
        }
        current = next;
        if (!failed.isEmpty()) {
            throw new RefusedException("applied, but these apps could not start: " + String.join("; ", failed), false);
        }
        log.info("reloaded: added={} changed={} removed={} unchanged={}", added, changed, removed, unchanged);
        return new Outcome(added, changed, removed, unchanged);
    }

    /** A removed app's versions finish their requests. */
    private void drain(AppRoute gone, AppConfig config) {
        for (Backend b : new Backend[] {gone.active(), gone.canary() == null ? null : gone.canary().backend()}) {
            if (b != null) {
                b.drain(config.drainDeadline(), wiring.proxy().group().next());
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
