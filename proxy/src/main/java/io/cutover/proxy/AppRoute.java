package io.cutover.proxy;

/**
 * One app's entry in the routing table: the version taking its requests, a canary taking a
 * share of them (or null), maintenance or a pause (or null), and a shadow: a candidate that gets
 * copies of a share of the active version's GET and HEAD requests (or null; see {@link Shadow});
 * and the sample of its recent GET targets, which stays the same object across entries.
 * Immutable: a change is a new entry in a new table.
 */
public record AppRoute(String name, Backend active, Canary canary, Maintenance maintenance, Pause pause,
                       Shadow shadow, PathSample sample) {

    static AppRoute empty(String name) {
        return new AppRoute(name, null, null, null, null, null, new PathSample());
    }

    AppRoute withActive(Backend b) {
        return new AppRoute(name, b, canary, maintenance, pause, shadow, sample);
    }

    AppRoute withCanary(Canary c) {
        return new AppRoute(name, active, c, maintenance, pause, shadow, sample);
    }

    AppRoute withMaintenance(Maintenance m) {
        return new AppRoute(name, active, canary, m, pause, shadow, sample);
    }

    AppRoute withPause(Pause p) {
        return new AppRoute(name, active, canary, maintenance, p, shadow, sample);
    }

    AppRoute withShadow(Shadow s) {
        return new AppRoute(name, active, canary, maintenance, pause, s, sample);
    }

    /** Where a request of this app goes, canary or active (null: no version yet); not yet counted in. */
    Forward pick(io.cutover.proxy.http.RequestHead head, ClientAddress client, int strip) {
        Canary c = canary;
        if (c != null) {
            return c.route(head, client, active, strip);
        }
        return active == null ? null : active.forward(strip);
    }
}
