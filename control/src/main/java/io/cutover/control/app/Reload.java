package io.cutover.control.app;

import io.cutover.control.boot.StartupFailure;
import io.cutover.control.config.AppConfig;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigError;
import io.cutover.control.config.Settings;
import io.cutover.control.deploy.state.StateStore;
import io.cutover.control.switching.RoutingLock;
import io.cutover.proxy.AppRoute;
import io.cutover.proxy.AppRule;
import io.cutover.proxy.Backend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cutover reload} and SIGHUP: reads the configuration again and, if it is valid, adds,
 * changes and removes apps. An invalid one changes nothing and says why; so does one that
 * changes what needs a restart (the listener, the admin API, the transport, proxy limits), and
 * one that would change or remove an app while it deploys. An app that stays keeps what it
 * serves throughout, whatever changed in its settings (its health check and drain deadline
 * change in place; a changed {@code target} is where it starts next time, not a switch: a reload
 * never moves traffic); a removed app's versions drain.
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

    /**
     * What a reload did, app by app; {@code notes} tell what it did not do (a {@code target}
     * changed in the file is where the app starts, not a switch).
     */
    public record Outcome(List<String> added, List<String> changed, List<String> removed, List<String> unchanged,
                          List<String> notes) {
        public Outcome {
            notes = notes == null ? List.of() : notes;     // from a cutover that did not send them
        }
    }

    private final java.util.function.Supplier<Settings> config;
    private final Apps apps;
    private final App.Shared wiring;
    private Settings current;
    /** Reads files and restores apps (both may block): never on an event loop; one reload at a time. */
    private final ExecutorService thread;

    /** @param thread one thread of its own, which it shuts down when it closes */
    public Reload(Settings current, java.util.function.Supplier<Settings> config, Apps apps, App.Shared wiring,
                  ExecutorService thread) {
        this.thread = thread;
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
            return new Outcome(added, changed, removed, unchanged, List.of());
        }
        for (String name : concat(added, changed)) {
            preflight(after.get(name));
        }
        List<App> leaving = new ArrayList<>();
        for (String name : concat(changed, removed)) {
            App a = before.get(name);
            String refusal = a.takeOutOfService(RoutingLock.Holder.RELOAD);
            if (refusal != null) {
                leaving.forEach(App::backInService);
                throw new RefusedException("nothing changed: " + refusal, true);
            }
            leaving.add(a);
        }
        // one flip: apps added get their (empty) entry, apps that stay keep theirs, removed ones go
        List<AppRoute> gone = wiring.proxy().router().define(rules(next.apps()));
        removed.forEach(name -> before.get(name).close());
        List<App> now = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<App> reconfigured = new ArrayList<>();
        List<AppConfig> routed = new ArrayList<>(next.apps());
        for (AppConfig c : next.apps()) {
            App old = before.get(c.name());
            if (unchanged.contains(c.name())) {
                now.add(old);
                continue;
            }
            try {
                if (old == null) {
                    now.add(App.start(c, wiring));
                } else {
                    App app = old.reconfigured(c, wiring);
                    reconfigured.add(app);
                    now.add(app);
                    startUpDefault(old.config(), app, next.apps().size() > 1).ifPresent(notes::add);
                }
            } catch (RuntimeException e) {
                log.error("reload: app {} could not {}: {}", c.name(), old == null ? "start" : "take its new settings",
                        e.getMessage());
                failed.add(c.name() + " (" + e.getMessage() + ")");
                if (old == null) {
                    routed.remove(c);       // an added app that cannot start is not routed either
                } else {
                    routed.set(routed.indexOf(c), old.config());
                    old.backInService();    // as it was, with its previous settings
                    now.add(old);
                }
            }
        }
        if (!failed.isEmpty()) {
            wiring.proxy().router().define(rules(routed));
        }
        apps.set(now);
        reconfigured.forEach(App::backInService);      // switches and deploys again, with the new settings
        for (AppRoute r : gone) {
            App was = before.get(r.name());
            drain(r, was == null ? current.drainDeadline() : was.config().drainDeadline());
        }
        current = next;
        log.info("reloaded: added={} changed={} removed={} unchanged={}", added, changed, removed, unchanged);
        notes.forEach(n -> log.info("reload: {}", n));
        if (!failed.isEmpty()) {
            throw new RefusedException("applied, but these apps could not start (they keep their previous settings, "
                    + "or are not added): " + String.join("; ", failed), false);
        }
        return new Outcome(added, changed, removed, unchanged, notes);
    }

    /**
     * What to tell about an app whose {@code target} changed in the file while it serves another:
     * the file's target is where the app starts, not a switch (a reload never moves traffic).
     */
    private static java.util.Optional<String> startUpDefault(AppConfig was, App app, boolean several) {
        Backend active = app.switches().active();
        java.util.Optional<io.cutover.proxy.Target> file = app.config().target();
        if (was.target().equals(file) || active == null || file.map(active.target()::equals).orElse(false)) {
            return java.util.Optional.empty();
        }
        String serves = active.target() + (was.target().map(active.target()::equals).orElse(false)
                ? " (the file's target before)" : " (a switch or a deploy chose it)");
        if (file.isEmpty()) {
            return java.util.Optional.of(app.name() + ": the file names no target now; the app keeps serving " + serves);
        }
        io.cutover.proxy.Target t = file.get();
        return java.util.Optional.of(app.name() + ": the target in the file is now " + t + ", where the app starts; "
                + "it keeps serving " + serves + ". " + t + " takes effect at the next start of cutover, or now with "
                + "`cutover switch " + t + (several ? " --app " + app.name() : "") + "` (health-checked)");
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
