package io.cutover.control.switching;

import io.cutover.proxy.Backend;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Target;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Which replicas a version at a target has, as the app's deployer knows them: every backend a
 * switch, a canary, a shadow or a start-up makes for a target (the version's first replica, its
 * identity in routing) spans its version's replicas. A target no deployed version starts with (an
 * operator's switch to another address, an app with a fixed target) is a version of one.
 */
public final class ReplicaSets {
    private volatile Function<Target, List<Target>> lookup = List::of;

    /** From now on, {@code lookup} says the replicas of the version at a target (it never blocks). */
    public void lookup(Function<Target, List<Target>> lookup) {
        this.lookup = lookup;
    }

    /** The targets of the version at {@code target}, {@code target} first. */
    public List<Target> of(Target target) {
        List<Target> set = lookup.apply(target);
        return set.isEmpty() || !set.get(0).equals(target) ? List.of(target) : set;
    }

    /**
     * A new backend for the version at {@code target} (resolved to {@code address}), over all its
     * replicas. Its other replicas are IP addresses (the deployer's, on loopback): nothing blocks.
     */
    Backend backend(ProxyServer proxy, String app, Target target, InetSocketAddress address, String version) {
        List<Target> set = of(target);
        if (set.size() == 1) {
            return proxy.newBackend(app, target, address, version);
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        addresses.add(address);
        for (Target t : set.subList(1, set.size())) {
            addresses.add(t.resolve());
        }
        return proxy.newBackend(app, set, addresses, version);
    }
}
