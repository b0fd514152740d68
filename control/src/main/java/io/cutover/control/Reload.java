package io.cutover.control;

import io.cutover.control.config.AppConfig;
import io.cutover.control.config.AppSettings;
import io.cutover.control.deploy.StateStore;
import io.cutover.proxy.AppRule;
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
            (c == null ? removed : c.equals(a.config()) ? unchanged : changed).add(a.name());
        }
        after.keySet().stream().filter(n -> !before.containsKey(n)).forEach(added::add);
        if (added.isEmpty() && changed.isEmpty() && removed.isEmpty()) {
            current = next;
            return new Outcome(added, changed, removed, unchanged);
        }
        for (String name : concat(added, changed)) {
            preflight(after.get(name));
        }
        List<App> leaving = new ArrayList<>();
        for (String name : concat(changed, removed)) {
            App a = before.get(name);
            String refusal = a.takeOutOfService("reload");
            if (refusal != null) {
                leaving.forEach(App::backInService);
                throw new RefusedException("nothing changed: " + refusal, true);
            }
            leaving.add(a);
        }
        // one flip: apps added get their (empty) entry, apps that stay keep theirs, removed ones go
        List<AppRoute> gone = wiring.proxy().router().define(rules(next.apps()));
        leaving.forEach(App::close);
        List<App> now = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        List<AppConfig> routed = new ArrayList<>(next.apps());
        for (AppConfig c : next.apps()) {
            if (unchanged.contains(c.name())) {
                now.add(before.get(c.name()));
                continue;
            }
            try {
                now.add(App.start(c, wiring));
            } catch (RuntimeException e) {
                log.error("reload: app {} could not start: {}", c.name(), e.getMessage());
                failed.add(c.name() + " (" + e.getMessage() + ")");
                App old = before.get(c.name());
                if (old == null) {
                    routed.remove(c);       // an added app that cannot start is not routed either
                } else {
                    routed.set(routed.indexOf(c), old.config());
                    restart(old).ifPresent(now::add);
                }
            }
        }
        if (!failed.isEmpty()) {
            wiring.proxy().router().define(rules(routed));
        }
        apps.set(now);
        for (AppRoute r : gone) {
            App was = before.get(r.name());
            drain(r, was == null ? current.drainDeadline() : was.config().drainDeadline());
        }
        current = next;
        log.info("reloaded: added={} changed={} removed={} unchanged={}", added, changed, removed, unchanged);
        if (!failed.isEmpty()) {
            throw new RefusedException("applied, but these apps could not start (they keep their previous settings, "
                    + "or are not added): " + String.join("; ", failed), false);
        }
        return new Outcome(added, changed, removed, unchanged);
    }

    private static List<AppRule> rules(List<AppConfig> apps) {
        return apps.stream().map(AppConfig::rule).toList();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** What would stop an app from starting, found before anything changes: its state file. */
    private void preflight(AppConfig c) throws RefusedException {
        if (c.deploy().isPresent()) {
            AppSettings app = c.deploy().get();
            try {
                new StateStore(app.stateFile(), app.name(), app.ports(), wiring.json()).load();
            } catch (StartupFailure e) {
                throw new RefusedException("nothing changed: app " + c.name() + ": " + e.getMessage(), false);
            }
        }
    }

    /** An app that was changed and whose new settings failed, back with its old ones. */
    private java.util.Optional<App> restart(App old) {
        try {
            return java.util.Optional.of(App.start(old.config(), wiring));
        } catch (RuntimeException e) {
            log.error("reload: app {} could not start again with its previous settings either: {}", old.name(),
                    e.getMessage());
            return java.util.Optional.empty();
        }
    }

    /**
     * A removed app's versions finish their requests; requests its pause held go on (routed
     * again: to whichever app takes them now).
     */
    private void drain(AppRoute gone, java.time.Duration deadline) {
        if (gone.pause() != null) {
            wiring.proxy().endPause(gone.pause());
        }
        for (Backend b : new Backend[] {gone.active(), gone.canary() == null ? null : gone.canary().backend()}) {
            if (b != null) {
                b.drain(deadline, wiring.proxy().group().next());
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
