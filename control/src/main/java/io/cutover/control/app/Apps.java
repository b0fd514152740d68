package io.cutover.control.app;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The apps a running cutover serves, by name; replaced as a whole by a reload. */
public final class Apps {
    /** No app by that name; the message names those there are. */
    public static final class UnknownAppException extends Exception {
        public UnknownAppException(String message) {
            super(message);
        }
    }

    private volatile Map<String, App> apps;

    public Apps(List<App> apps) {
        set(apps);
    }

    void set(List<App> list) {
        Map<String, App> m = new LinkedHashMap<>();
        list.forEach(a -> m.put(a.name(), a));
        apps = java.util.Collections.unmodifiableMap(m);
    }

    public Collection<App> all() {
        return apps.values();
    }

    Map<String, App> byName() {
        return apps;
    }

    /**
     * The app named, or, with no name, the only one.
     *
     * @throws UnknownAppException when there is no such app, or no name and several apps
     */
    public App find(String name) throws UnknownAppException {
        Map<String, App> now = apps;
        if (name == null || name.isBlank()) {
            if (now.size() == 1) {
                return now.values().iterator().next();
            }
            throw new UnknownAppException("cutover serves several apps: name one (--app NAME, or ?app=NAME); apps: "
                    + String.join(", ", now.keySet()));
        }
        return Optional.ofNullable(now.get(name)).orElseThrow(() -> new UnknownAppException("no app " + name
                + "; apps: " + String.join(", ", now.keySet())));
    }
}
