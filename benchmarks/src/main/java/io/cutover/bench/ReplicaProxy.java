package io.cutover.bench;

import io.cutover.proxy.Backend;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Replica;
import io.cutover.proxy.Router;
import io.cutover.proxy.Target;
import io.cutover.proxy.TrafficObserver;
import io.cutover.proxy.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The proxy alone (no control plane) in front of one version running as the replicas named,
 * with the default settings and one event loop per core: what replicas.sh measures balancing with.
 *
 * <pre>ReplicaProxy LISTEN_PORT HOST:PORT[,HOST:PORT...] SECONDS</pre>
 * Runs for SECONDS, then prints how many requests each replica got and stops (bounded); loopback only.
 */
public final class ReplicaProxy {
    private ReplicaProxy() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        List<Target> targets = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String t : args[1].split(",")) {
            Target target = Target.parse(t);
            targets.add(target);
            addresses.add(target.resolve());
        }
        long seconds = Long.parseLong(args[2]);
        try (ProxyServer server = ProxyServer.start(new InetSocketAddress("127.0.0.1", port), ProxySettings.defaults(),
                Transport.select("auto"), 0, TrafficObserver.NONE)) {
            Backend backend = server.newBackend(Router.DEFAULT_APP, targets, addresses, "bench");
            server.router().flip(backend);
            System.out.println("proxy listening on " + server.localAddress() + " transport=" + server.transport()
                    + " replicas=" + targets);
            TimeUnit.SECONDS.sleep(seconds);
            for (Replica r : backend.replicas()) {
                System.out.println("replica " + r.target() + " requests=" + r.requests() + " up=" + r.up());
            }
        }
    }
}
