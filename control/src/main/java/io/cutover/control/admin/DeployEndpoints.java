package io.cutover.control.admin;

import io.cutover.control.admin.AdminApi.Reply;
import io.cutover.control.admin.ApiModel.CanaryAccepted;
import io.cutover.control.admin.ApiModel.CanaryRequest;
import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.admin.ApiModel.RollbackRequest;
import io.cutover.control.app.App;
import io.cutover.control.app.Apps;
import io.cutover.control.config.AppSettings;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.Deployment;
import io.cutover.control.deploy.runtime.Release;
import java.util.Optional;

/**
 * {@code /v1/deploy}, {@code /v1/rollback}, {@code /v1/canary} and {@code /v1/deploys/ID}: what
 * the admin API asks of an app's deployer. A deploy runs on the deployer's own thread; these
 * only check the request and hand it over.
 */
final class DeployEndpoints {
    private final Apps apps;
    private final RequestBody bodies;

    DeployEndpoints(Apps apps, RequestBody bodies) {
        this.apps = apps;
        this.bodies = bodies;
    }

    DeploymentView deploy(App app, byte[] body) throws Exception {
        Deployer d = deployer(app);
        DeployRequest request = bodies.read(body, DeployRequest.class, DeployRequest.SHAPE);
        Release release = request.toRelease(d.app().runtime() == AppSettings.Runtime.DOCKER, d.app().name(),
                d.app().compose());
        return DeploymentView.of(d.deploy(release, request.queues(),
                new Deployer.Options(request.plan(d.canaryDefaults()), request.warmUp(d.app().warmUp()),
                        request.shadow(d.shadowDefaults()), request.bake(d.app().bake()), request.replicas(d.app()))));
    }

    DeploymentView rollback(App app, byte[] body) throws Exception {
        Deployer d = deployer(app);
        RollbackRequest request = bodies.read(body, RollbackRequest.class, RollbackRequest.SHAPE, new RollbackRequest(null));
        return DeploymentView.of(d.rollback(request.queues()));
    }

    /** Steers the running canary: promote, abort, or set a share. */
    Reply canary(App app, byte[] body) throws Exception {
        Deployer d = deployer(app);
        CanaryRequest r = bodies.read(body, CanaryRequest.class, CanaryRequest.SHAPE);
        d.steer(r.command());
        return new Reply(202, new CanaryAccepted(app.name(), r.action(), r.percent(),
                d.running().map(Deployment::id).orElse(null)));
    }

    /** A deploy of any app, by its id. */
    DeploymentView deployment(String id) throws ApiException {
        for (App app : apps.all()) {
            Optional<Deployment> d = app.deployer().flatMap(x -> x.find(id));
            if (d.isPresent()) {
                return DeploymentView.of(d.get());
            }
        }
        throw new ApiException(404, "no deploy with id " + id);
    }

    private static Deployer deployer(App app) throws ApiException {
        return app.deployer().orElseThrow(() -> new ApiException(400, "app " + app.name() + " is not deployed by "
                + "cutover: set cutover.app.name (or serve --app-name), or leave out the app's target, to deploy"));
    }
}
