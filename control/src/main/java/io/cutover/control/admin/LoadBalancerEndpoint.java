package io.cutover.control.admin;

import io.cutover.control.admin.ApiModel.LbRequest;
import io.cutover.control.admin.ApiModel.LbView;
import io.cutover.control.admin.ProcessControl.LoadBalancer;
import io.cutover.proxy.LbHealth;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /v1/lb} and {@code POST /v1/lb}: the load balancer's view of this host. Taking it
 * out makes the check ({@code cutover.lb-health.path}) answer 503 while every request is served
 * as before, as for the first step of a graceful stop; putting it back makes it answer 200. Held
 * in memory only: a restart (or an upgrade's new process) starts in the load balancer again.
 */
final class LoadBalancerEndpoint {
    private final RequestBody bodies;
    private final Supplier<Optional<LoadBalancer>> lb;
    private volatile Instant changedAt;

    LoadBalancerEndpoint(RequestBody bodies, Supplier<Optional<LoadBalancer>> lb) {
        this.bodies = bodies;
        this.lb = lb;
    }

    LbView view() throws ApiException {
        return view(check());
    }

    LbView change(byte[] body) throws ApiException {
        LbRequest request = bodies.read(body, LbRequest.class, LbRequest.SHAPE);
        if (request.in() == null) {
            throw new ApiException(400, "say \"in\": false to leave the load balancer, or true to join it again");
        }
        LoadBalancer l = check();
        LbHealth h = l.check();
        if (request.in()) {
            if (h.isStopping()) {
                throw new ApiException(409, "cutover is stopping: it cannot join the load balancer again");
            }
            h.join();
        } else {
            h.leave();
        }
        changedAt = Instant.now();
        return view(l);
    }

    private LoadBalancer check() throws ApiException {
        return lb.get().orElseThrow(() -> new ApiException(409, "cutover answers no load balancer check: set "
                + "cutover.lb-health.path (and point the load balancer's health check at it)"));
    }

    private LbView view(LoadBalancer l) {
        LbHealth h = l.check();
        Instant at = changedAt;
        return new LbView(h.path(), h.isUp(), h.isOut(), h.isStopping(), l.grace().toMillis(), h.answeredUp(),
                h.answeredDown(), l.requests().getAsLong(), at == null ? null : at.toString());
    }
}
