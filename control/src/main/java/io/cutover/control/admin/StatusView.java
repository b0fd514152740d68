package io.cutover.control.admin;

import io.cutover.control.admin.ApiModel.AppView;
import io.cutover.control.admin.ApiModel.BackendView;
import io.cutover.control.admin.ApiModel.CanaryView;
import io.cutover.control.admin.ApiModel.InstanceView;
import io.cutover.control.admin.ApiModel.PauseView;
import io.cutover.control.admin.ApiModel.Status;
import io.cutover.control.admin.ApiModel.StatusAll;
import io.cutover.control.app.App;
import io.cutover.control.app.Apps;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.Deployment;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.switching.SwitchService;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.Pause;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/status}: what an app serves (active, canary, draining), its last switch, its
 * canary's windows and its deployed versions, read from what is in memory (never waiting on the
 * runtime).
 */
final class StatusView {
    private StatusView() {
    }

    /** The named app's status; with no name and several apps, all of them. */
    static Object of(Apps apps, String app) throws Apps.UnknownAppException {
        return app == null && apps.all().size() > 1
                ? new StatusAll(apps.all().stream().map(StatusView::of).toList()) : of(apps.find(app));
    }

    static Status of(App app) {
        SwitchService switches = app.switches();
        List<BackendView> backends = new ArrayList<>();
        Backend active = switches.active();
        if (active != null) {
            backends.add(BackendView.of(active, "active"));
        }
        Canary canary = switches.canary();
        if (canary != null) {
            backends.add(BackendView.of(canary.backend(), "canary"));
        }
        for (Backend b : switches.draining()) {
            backends.add(BackendView.of(b, "draining"));
        }
        return new Status(app.name(), active == null ? null : active.target().toString(),
                ApiModel.text(switches.previous()), switches.previousWarm(), switches.gate().inMaintenance(),
                pauseView(app), backends, ApiModel.SwitchView.of(switches.lastSwitch()),
                app.deployer().flatMap(Deployer::canary).map(CanaryView::of).orElse(null),
                app.deployer().map(StatusView::versions).orElse(null),
                app.deployer().flatMap(Deployer::bake).map(ApiModel.BakeView::of).orElse(null));
    }

    static PauseView pauseView(App app) {
        Pause p = app.switches().gate().paused();
        return p == null ? null
                : new PauseView(p.held(), p.timeout().toSeconds(), p.maxHeld(), app.deployer().isPresent());
    }

    private static AppView versions(Deployer d) {
        AppState s = d.state();
        return new AppView(d.app().name(), d.runtimeKind(), instance(d, s.active()), instance(d, s.previous()),
                s.previousStopsAt() == null ? null : s.previousStopsAt().toString(),
                d.running().map(Deployment::id).orElse(null), d.restoreProblem());
    }

    private static InstanceView instance(Deployer d, Instance i) {
        if (i == null) {
            return null;
        }
        List<String> each = new ArrayList<>();
        for (int k = 0; k < i.count(); k++) {
            each.add(d.describeRunning(i, k));
        }
        return InstanceView.of(i, d.describeRunning(i), each);
    }
}
