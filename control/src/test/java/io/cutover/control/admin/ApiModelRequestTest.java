package io.cutover.control.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.admin.ApiModel.CanaryRequest;
import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.admin.ApiModel.MaintenanceRequest;
import io.cutover.control.admin.ApiModel.PauseRequest;
import io.cutover.control.admin.ApiModel.RollbackRequest;
import io.cutover.control.admin.ApiModel.SwitchRequest;
import io.cutover.control.canary.Steering;
import io.cutover.control.config.CanarySettings;
import io.cutover.control.config.ComposeSettings;
import io.cutover.control.config.ShadowSettings;
import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.state.AppState;
import io.cutover.proxy.Pause;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The admin API's request bodies on their own, no sockets: what each accepts (and as what), and
 * that what it refuses is a 400 saying why.
 */
class ApiModelRequestTest {
    private static final long MAX_SECONDS = Pause.MAX_TIMEOUT.toSeconds();
    private static final CanarySettings CANARY = new CanarySettings(List.of(10, 50, 100), Duration.ofSeconds(60), 100,
            2, Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of());

    private static ApiException refused(Executable call) {
        ApiException e = assertThrows(ApiException.class, call);
        assertEquals(400, e.status(), e.getMessage());
        return e;
    }

    private static DeployRequest image(String image) {
        return new DeployRequest(image, null, Map.of(), null, null, null, null);
    }

    private static DeployRequest command(List<String> command) {
        return new DeployRequest(null, command, Map.of(), null, null, null, null);
    }

    private static DeployRequest named(String release) {
        return new DeployRequest(null, List.of("app"), Map.of(), null, null, null, release);
    }

    private static DeployRequest canary(List<Integer> steps, Long intervalMs, String onDeadline) {
        return new DeployRequest(null, List.of("app"), Map.of(), null, steps, intervalMs, null, null, null, null, null,
                null, onDeadline);
    }

    private static DeployRequest shadow(String share, Long durationMs, Boolean failOnErrors) {
        return new DeployRequest(null, List.of("app"), Map.of(), null, null, null, null, null, share, durationMs,
                failOnErrors, null, null);
    }

    private static DeployRequest baking(Long bakeMs) {
        return new DeployRequest(null, List.of("app"), Map.of(), null, null, null, null, bakeMs, null, null, null, null,
                null);
    }

    private static DeployRequest warming(String warmUp) {
        return new DeployRequest(null, List.of("app"), Map.of(), null, null, null, null, null, null, null, null, warmUp,
                null);
    }

    private static DeployRequest compose(String file, String service, String project) {
        return new DeployRequest("shop:v2", null, Map.of(), null, null, null, null, null, null, null, null, null, null,
                file, service, project, null);
    }

    @Test
    void aSwitchNamesAParsedTargetAndWithoutOneOrWithABadOneIsA400() throws ApiException {
        assertEquals(Target.parse("127.0.0.1:8082"), new SwitchRequest("127.0.0.1:8082").parsed());
        assertTrue(refused(() -> new SwitchRequest(null).parsed()).getMessage().startsWith("body must name a target"));
        assertTrue(refused(() -> new SwitchRequest("no port").parsed()).getMessage().startsWith("bad target: "));
    }

    @Test
    void aCanaryCommandIsPromoteAbortOrSetWithAPercentFromZeroToAHundred() throws ApiException {
        assertEquals(new Steering.Command(Steering.Command.Kind.PROMOTE, 100), new CanaryRequest("promote", 7).command());
        assertEquals(new Steering.Command(Steering.Command.Kind.ABORT, 0), new CanaryRequest("abort", 7).command());
        assertEquals(new Steering.Command(Steering.Command.Kind.SET, 0), new CanaryRequest("set", 0).command());
        assertEquals(new Steering.Command(Steering.Command.Kind.SET, 100), new CanaryRequest("set", 100).command());
        for (Integer bad : new Integer[] {null, -1, 101}) {
            assertEquals("set needs a percent from 0 to 100", refused(() -> new CanaryRequest("set", bad).command())
                    .getMessage());
        }
        for (String bad : new String[] {null, "", "PROMOTE", "rollback"}) {
            assertEquals("action must be promote, abort or set", refused(() -> new CanaryRequest(bad, 10).command())
                    .getMessage());
        }
    }

    @Test
    void aDeployNamesAnImageForAContainerAppAndACommandForAProcessAppNeverBoth() throws ApiException {
        Release r = image("  shop:v2 ").toRelease(true, "shop");
        assertEquals("shop:v2", r.image(), "the image name is trimmed");
        assertNull(r.compose(), "no compose unless asked or configured");
        assertEquals(List.of("app", "--port"), command(List.of("app", "--port")).toRelease(false, "shop").command());
        assertEquals("name an image or a command, not both", refused(() -> new DeployRequest("shop:v2", List.of("app"),
                Map.of(), null, null, null, null).toRelease(true, "shop")).getMessage());
        assertEquals("app shop runs containers: deploy an image",
                refused(() -> command(List.of("app")).toRelease(true, "shop")).getMessage());
        assertEquals("app shop runs a command: deploy a command, not an image",
                refused(() -> image("shop:v2").toRelease(false, "shop")).getMessage());
    }

    @Test
    void aBlankImageOrAnEmptyCommandCountsAsNoneSoTheOtherMayBeNamed() throws ApiException {
        assertEquals(List.of("app"), new DeployRequest("  ", List.of("app"), Map.of(), null, null, null, null)
                .toRelease(false, "shop").command());
        assertEquals("shop:v2", new DeployRequest("shop:v2", List.of(), Map.of(), null, null, null, null)
                .toRelease(true, "shop").image());
    }

    @Test
    void aReleaseNameIsOneToAHundredPrintableCharacters() throws ApiException {
        assertEquals("x".repeat(100), named("x".repeat(100)).toRelease(false, "shop").name());
        assertEquals("v 2~", named("v 2~").toRelease(false, "shop").name(), "space and tilde are printable");
        for (String bad : new String[] {"", "   ", "x".repeat(101), "v2\n", "v2\u001f", "v2\u007f"}) {
            assertEquals("release must be a name of 1 to 100 printable characters",
                    refused(() -> named(bad).toRelease(false, "shop")).getMessage(), bad);
        }
    }

    @Test
    void aComposeServiceRunsInContainersFromAnAbsoluteFileWithTheAppsServiceAndProjectForItsOwnFile()
            throws ApiException {
        ComposeSettings app = new ComposeSettings("/srv/shop/compose.yml", "web", "shop", 8080);
        assertEquals(new Release.Compose("/srv/shop/compose.yml", "web", "shop"),
                image("shop:v2").toRelease(true, "shop", app).compose(), "the app's compose, as configured");
        assertEquals(new Release.Compose("/srv/shop/compose.yml", "api", "shop"),
                compose(null, " api ", null).toRelease(true, "shop", app).compose(), "another service of the same file");
        assertEquals(new Release.Compose("/srv/other.yml", "web", null),
                compose(" /srv/other.yml ", "web", null).toRelease(true, "shop", app).compose(),
                "another file takes nothing of the app's: its own service, no project");
        assertTrue(refused(() -> compose("/srv/other.yml", null, null).toRelease(true, "shop", app)).getMessage()
                .startsWith("name the service of /srv/other.yml"), "another file needs its service named");
        assertTrue(refused(() -> compose(null, "web", null).toRelease(true, "shop", ComposeSettings.NONE)).getMessage()
                .startsWith("service and project need a compose file"));
        assertTrue(refused(() -> compose(null, null, "p").toRelease(true, "shop", ComposeSettings.NONE)).getMessage()
                .startsWith("service and project need a compose file"), "a project alone asks for compose too");
        assertEquals("compose must be an absolute path on cutover's host, got 'compose.yml'",
                refused(() -> compose("compose.yml", "web", null).toRelease(true, "shop", app)).getMessage());
        assertEquals("app shop runs a command: a compose service runs in containers",
                refused(() -> new DeployRequest(null, List.of("app"), Map.of(), null, null, null, null, null, null,
                        null, null, null, null, "/srv/c.yml", "web", null, null).toRelease(false, "shop", app))
                        .getMessage());
    }

    @Test
    void aBakeIsTheAppsUnlessAskedAndZeroMeansNoBakeWhileANegativeOneIsA400() throws ApiException {
        Duration app = Duration.ofMinutes(5);
        assertSame(app, baking(null).bake(app));
        assertEquals(Duration.ZERO, baking(0L).bake(app));
        assertEquals(Duration.ofMillis(1500), baking(1500L).bake(app));
        assertEquals("bakeMs must be 0 (no bake) or more", refused(() -> baking(-1L).bake(app)).getMessage());
    }

    @Test
    void aShadowTakesTheAppsSettingsWithWhatTheRequestChangesAndAZeroDurationIsA400() throws ApiException {
        ShadowSettings app = new ShadowSettings(5, Duration.ofSeconds(30), false, 64);
        assertEquals(app, shadow(null, null, null).shadow(app));
        assertEquals(new ShadowSettings(20, Duration.ofMillis(1), true, 64), shadow("20%", 1L, true).shadow(app));
        assertTrue(refused(() -> shadow("lots", null, null).shadow(app)).getMessage().startsWith("shadow: "));
        assertEquals("shadowDurationMs must be more than 0", refused(() -> shadow(null, 0L, null).shadow(app))
                .getMessage());
    }

    @Test
    void aCanaryPlanIsTheAppsWithTheRequestsStepsIntervalAndChoiceAtTheDeadlineChecked() throws ApiException {
        assertSame(CANARY, canary(null, null, null).plan(CANARY));
        assertEquals(CANARY.with(List.of(25, 100), CANARY.interval()), canary(List.of(25, 100), null, null).plan(CANARY));
        assertEquals(CANARY.with(CANARY.steps(), Duration.ofMillis(1)), canary(null, 1L, null).plan(CANARY));
        assertEquals(CANARY.with(CanarySettings.OnDeadline.ABORT), canary(null, null, "abort").plan(CANARY));
        assertEquals(CanarySettings.OnDeadline.HOLD,
                canary(null, null, "hold").plan(CANARY.with(CanarySettings.OnDeadline.ABORT)).onDeadline());
        assertEquals("canaryOnDeadline must be hold or abort", refused(() -> canary(null, null, "wait").plan(CANARY))
                .getMessage());
        assertTrue(refused(() -> canary(List.of(50, 10, 100), null, null).plan(CANARY)).getMessage()
                .startsWith("canary: steps must grow"));
        assertEquals("canaryIntervalMs must be more than 0", refused(() -> canary(null, 0L, null).plan(CANARY))
                .getMessage());
    }

    @Test
    void aWarmUpIsTheAppsUnlessAskedAndWhatCannotBeReadIsA400() throws ApiException {
        WarmUpSettings app = WarmUpSettings.OFF;
        assertSame(app, warming(null).warmUp(app));
        assertEquals(app.with("200"), warming("200").warmUp(app));
        assertTrue(refused(() -> warming("soon").warmUp(app)).getMessage().startsWith("warmUp: "));
    }

    @Test
    void aDeployOrRollbackQueuesForTheLockUnlessItSaysWaitForLockFalse() {
        assertTrue(new DeployRequest(null, List.of("app"), Map.of(), null, null, null, null).queues());
        assertTrue(new DeployRequest(null, List.of("app"), Map.of(), true, null, null, null).queues());
        assertFalse(new DeployRequest(null, List.of("app"), Map.of(), false, null, null, null).queues());
        assertTrue(new RollbackRequest(null).queues());
        assertTrue(new RollbackRequest(true).queues());
        assertFalse(new RollbackRequest(false).queues());
    }

    @Test
    void maintenanceIsOnWithItsPageAndARetryAfterUpToTheLongestPauseOrOffAndMustSayWhich() throws ApiException {
        assertEquals(new AppState.Maintenance("<p>back soon</p>", 60),
                new MaintenanceRequest(true, "<p>back soon</p>", null).maintenance(), "Retry-After 60 s unless asked");
        assertEquals(new AppState.Maintenance(null, 0), new MaintenanceRequest(true, null, 0L).maintenance());
        assertEquals(new AppState.Maintenance(null, MAX_SECONDS),
                new MaintenanceRequest(true, null, MAX_SECONDS).maintenance());
        assertNull(new MaintenanceRequest(false, null, null).maintenance(), "off");
        assertEquals("say \"on\": true or false", refused(() -> new MaintenanceRequest(null, "x", 5L).maintenance())
                .getMessage());
        for (long bad : new long[] {-1, MAX_SECONDS + 1}) {
            assertEquals("retryAfterSeconds must be between 0 and " + MAX_SECONDS,
                    refused(() -> new MaintenanceRequest(false, null, bad).maintenance()).getMessage());
        }
    }

    @Test
    void aPauseHoldsRequestsForOneSecondToTheLongestPauseAndHoldsNoneOrMore() throws ApiException {
        assertEquals(new AppState.Paused(30_000, 1000), new PauseRequest(null, null).paused(), "30 s, 1000 held");
        assertEquals(new AppState.Paused(1000, 0), new PauseRequest(1L, 0).paused());
        assertEquals(new AppState.Paused(MAX_SECONDS * 1000, 5), new PauseRequest(MAX_SECONDS, 5).paused());
        for (PauseRequest bad : List.of(new PauseRequest(0L, null), new PauseRequest(MAX_SECONDS + 1, null),
                new PauseRequest(null, -1))) {
            assertEquals("timeoutSeconds must be between 1 and " + MAX_SECONDS + ", maxHeld not negative",
                    refused(bad::paused).getMessage(), bad.toString());
        }
    }

    @Test
    void aDeployAsksForAsManyReplicasAsTheAppsPortsGiveOrTheAppsOwnCount() throws ApiException {
        io.cutover.control.config.AppSettings app = new io.cutover.control.config.AppSettings("shop",
                io.cutover.control.config.AppSettings.Runtime.PROCESS, List.of(18081, 18082), null, List.of("app"),
                Map.of(), List.of(), null, 0, io.cutover.control.config.AppSettings.Pull.NEVER, null,
                Duration.ofSeconds(10), io.cutover.control.config.AppSettings.KeepPrevious.STOPPED, Duration.ofMinutes(5),
                20, Duration.ofSeconds(10), null, Duration.ZERO, WarmUpSettings.OFF,
                io.cutover.control.config.HookSettings.NONE);
        assertEquals(0, replicas(null).replicas(app), "none asked: the app's");
        assertEquals(3, replicas(3).replicas(app));
        assertEquals("replicas: replicas must be at least 1, got 0", refused(() -> replicas(0).replicas(app)).getMessage());
    }

    private static DeployRequest replicas(Integer replicas) {
        return new DeployRequest(null, List.of("app"), Map.of(), null, null, null, null, null, null, null, null, null,
                null, null, null, null, replicas);
    }
}
