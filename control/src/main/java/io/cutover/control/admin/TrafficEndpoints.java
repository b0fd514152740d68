package io.cutover.control.admin;

import io.cutover.control.admin.AdminApi.Reply;
import io.cutover.control.admin.ApiModel.MaintenanceRequest;
import io.cutover.control.admin.ApiModel.MaintenanceView;
import io.cutover.control.admin.ApiModel.PauseRequest;
import io.cutover.control.admin.ApiModel.ResumeView;
import io.cutover.control.admin.ApiModel.SwitchRequest;
import io.cutover.control.admin.ApiModel.SwitchResponse;
import io.cutover.control.app.App;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.switching.TrafficGate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/switch}, {@code /v1/maintenance}, {@code /v1/pause} and {@code /v1/resume}: where an
 * app's traffic goes, or whether it goes at all. Maintenance and pause are recorded in the app's
 * state first (so a restart keeps them), then take effect for the next request; without a
 * deployer there is no state and they last until a restart.
 */
final class TrafficEndpoints {
    private final RequestBody bodies;

    TrafficEndpoints(RequestBody bodies) {
        this.bodies = bodies;
    }

    CompletableFuture<Reply> switchTo(App app, byte[] body) throws ApiException {
        SwitchRequest request = bodies.readNullable(body, SwitchRequest.class, "{\"target\": \"HOST:PORT\"}");
        return app.switches().switchTo((request == null ? new SwitchRequest(null) : request).parsed())
                .thenApply(o -> new Reply(200, new SwitchResponse(ApiModel.text(o.previous()), o.active().toString(),
                        o.changed(), o.healthWait().toMillis())));
    }

    CompletableFuture<Reply> maintenance(App app, byte[] body) throws ApiException {
        refuseDuringTakeover(app);
        AppState.Maintenance m = bodies.read(body, MaintenanceRequest.class, MaintenanceRequest.SHAPE).maintenance();
        Optional<Deployer> deployer = app.deployer();
        TrafficGate gate = app.switches().gate();
        return deployer.map(d -> d.recordMaintenance(m)).orElse(CompletableFuture.completedFuture(null)).thenApply(v -> {
            if (m != null) {
                gate.maintenanceOn(m.page(), m.retryAfterSeconds());
            } else {
                gate.maintenanceOff();
            }
            return new Reply(200, new MaintenanceView(m != null, m == null ? null : m.retryAfterSeconds(),
                    deployer.isPresent()));
        });
    }

    CompletableFuture<Reply> pause(App app, byte[] body) throws ApiException {
        refuseDuringTakeover(app);
        AppState.Paused p = bodies.read(body, PauseRequest.class, PauseRequest.SHAPE, new PauseRequest(null, null)).paused();
        TrafficGate gate = app.switches().gate();
        return app.deployer().map(d -> d.recordPaused(p)).orElse(CompletableFuture.completedFuture(null)).thenApply(v -> {
            gate.pause(Duration.ofMillis(p.timeoutMillis()), p.maxHeld());
            return new Reply(200, StatusView.pauseView(app));
        });
    }

    CompletableFuture<Reply> resume(App app) throws ApiException {
        refuseDuringTakeover(app);
        TrafficGate gate = app.switches().gate();
        return app.deployer().map(d -> d.recordPaused(null)).orElse(CompletableFuture.completedFuture(null)).thenApply(v -> {
            boolean was = gate.paused() != null;
            gate.resume();
            return new Reply(200, new ResumeView(was));
        });
    }

    /**
     * Maintenance and pause are part of the app's state, which a takeover hands to a new process
     * that has read it already: a change now would be lost.
     */
    private static void refuseDuringTakeover(App app) throws ApiException {
        if (app.switches().heldByTakeover()) {
            throw new ApiException(409, "a takeover of cutover is under way; try again in a moment");
        }
    }
}
