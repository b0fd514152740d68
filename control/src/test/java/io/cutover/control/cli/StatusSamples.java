package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.AppView;
import io.cutover.control.admin.ApiModel.BackendView;
import io.cutover.control.admin.ApiModel.BakeView;
import io.cutover.control.admin.ApiModel.BakeWindowView;
import io.cutover.control.admin.ApiModel.CanaryView;
import io.cutover.control.admin.ApiModel.DrainView;
import io.cutover.control.admin.ApiModel.FiguresView;
import io.cutover.control.admin.ApiModel.InstanceReplicaView;
import io.cutover.control.admin.ApiModel.InstanceView;
import io.cutover.control.admin.ApiModel.PauseView;
import io.cutover.control.admin.ApiModel.ReplicaView;
import io.cutover.control.admin.ApiModel.Status;
import io.cutover.control.admin.ApiModel.SwitchView;
import io.cutover.control.admin.ApiModel.WindowView;
import java.util.List;

/** Statuses with every part of {@code GET /v1/status} present or absent, as the admin API writes them. */
final class StatusSamples {
    private StatusSamples() {
    }

    /** Nothing routed yet: no active backend, no switch. */
    static Status empty() {
        return new Status("default", null, null, false, false, null, List.of(), null, null, null, null);
    }

    /** Every part present: two replicas (one down), a pause, maintenance, a held canary, a bake, the app, a drained switch. */
    static Status full() {
        List<ReplicaView> replicas = List.of(new ReplicaView("127.0.0.1:8081", true, null, 2, 100, 3),
                new ReplicaView("127.0.0.1:8083", false, "refused: Connection refused", 0, 7, 0));
        BackendView active = new BackendView("127.0.0.1:8081", "active", 2, 3, "v2", replicas);
        BackendView old = new BackendView("127.0.0.1:8082", "draining", 1, 1, "v1",
                List.of(new ReplicaView("127.0.0.1:8082", true, null, 1, 50, 1)));
        FiguresView canaryFigures = new FiguresView(120, 3, 0.025, 12.34);
        FiguresView stableFigures = new FiguresView(1080, 1, 0.0009, 8.5);
        CanaryView canary = new CanaryView("127.0.0.1:8084", 25, List.of(10, 25, 50), 30_000, true,
                List.of(new WindowView(10, "pass", "error rate 0.8% <= 1%", canaryFigures, stableFigures),
                        new WindowView(25, "inconclusive", "too few requests", canaryFigures, stableFigures)));
        BakeView bake = new BakeView("127.0.0.1:8081", "127.0.0.1:8082", 300_000, 61_500,
                List.of(new BakeWindowView(60_000, "pass", "no worse", canaryFigures, stableFigures)));
        InstanceView v2 = new InstanceView("shop:2", "green", "127.0.0.1:8081", "d-2", "c2", "running",
                List.of(new InstanceReplicaView("127.0.0.1:8081", "c2", "running")));
        InstanceView v1 = new InstanceView("shop:1", "blue", "127.0.0.1:8082", "d-1", "c1", "exited (137)", List.of());
        AppView app = new AppView("shop", "docker", v2, v1, "2026-12-05T08:00:00Z", "d-3", "previous version exited");
        SwitchView lastSwitch = new SwitchView("127.0.0.1:8082", "127.0.0.1:8081", "2026-12-05T07:55:00Z", 412,
                new DrainView(5, 4, 1, 30_001));
        return new Status("shop", "127.0.0.1:8081", "127.0.0.1:8082", true, true, new PauseView(3, 30, 1000, false),
                List.of(active, old), lastSwitch, canary, app, bake);
    }

    /** A switch still draining, an app with no previous version, a canary not held, no pause. */
    static Status draining() {
        BackendView active = new BackendView("127.0.0.1:8081", "active", 0, 0, "v2",
                List.of(new ReplicaView("127.0.0.1:8081", true, null, 0, 0, 0)));
        CanaryView canary = new CanaryView("127.0.0.1:8084", 10, List.of(10, 100), 60_000, false, List.of());
        AppView app = new AppView("shop", "process", null, null, null, null, null);
        SwitchView lastSwitch = new SwitchView("127.0.0.1:8082", "127.0.0.1:8081", "2026-12-05T07:55:00Z", 0, null);
        return new Status("shop", "127.0.0.1:8081", null, false, false, null, List.of(active), lastSwitch, canary,
                app, null);
    }

    /** The first switch, from nothing. */
    static Status first() {
        BackendView active = new BackendView("127.0.0.1:8081", "active", 0, 0, "127.0.0.1:8081", List.of());
        SwitchView lastSwitch = new SwitchView(null, "127.0.0.1:8081", "2026-12-05T07:55:00Z", 20, null);
        return new Status("default", "127.0.0.1:8081", null, false, false, null, List.of(active), lastSwitch, null,
                null, null);
    }

    static List<Status> all() {
        return List.of(empty(), full(), draining(), first());
    }
}
