package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.config.WarmUpSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cutover deploy IMAGE} or {@code cutover deploy --command -- WORD...}. */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = {"Deploy a new version: start it on the free colour, wait until it is healthy, switch "
                + "traffic to it, drain the old version and stop it. Prints each step; exits 0 on success.",
                "Docker apps: cutover deploy IMAGE. Process apps: cutover deploy --command -- java -jar app.jar"})
final class DeployCommand implements Callable<Integer> {
    @Parameters(paramLabel = "IMAGE", arity = "0..*",
            description = "the image to run (or, with --command, the command's words)")
    List<String> what = List.of();

    @Option(names = "--command", description = "the parameters are a command to run (process runtime)")
    boolean command;

    @Option(names = "--env", paramLabel = "K=V", description = "environment for this version (repeatable)")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--no-wait-for-lock", description = "fail at once if another deploy is running")
    boolean noWait;

    @Option(names = "--canary", paramLabel = "P1,P2,...,100", split = ",",
            description = "release as a canary: these shares of requests in turn (percent, ending at 100), each held "
                    + "for --canary-interval while cutover compares it with the stable version and aborts it if it "
                    + "does worse (default: the app's canary.steps)")
    List<Integer> canary;

    @Option(names = "--release", paramLabel = "NAME",
            description = "what to call this version (v2.3.1, a git sha) in steps, status, metrics and logs "
                    + "(default: the image, or the command line)")
    String release;

    @Option(names = "--canary-interval", paramLabel = "DURATION",
            description = "how long each canary window lasts, e.g. 60s or 5m (default: the app's canary.interval)")
    String canaryInterval;

    @Option(names = "--canary-on-deadline", paramLabel = "hold|abort",
            description = "a canary still inconclusive at the progress deadline: hold it at its share until "
                    + "`cutover canary promote|abort`, or abort it (default: the app's canary.on-deadline)")
    String canaryOnDeadline;

    @Option(names = "--bake", paramLabel = "DURATION",
            description = "after the flip, keep the previous version running for this long (e.g. 5m) while cutover "
                    + "compares the new version with it, and flip back at once if the new one does worse; off: no "
                    + "bake (default: the app's bake)")
    String bake;

    @Option(names = "--shadow", paramLabel = "SHARE",
            description = "before the switch, copy this share of GET and HEAD requests (e.g. 10%) to the healthy "
                    + "candidate for --shadow-duration, compare its answers with the live version's and throw them "
                    + "away; clients are answered by the live version (default: the app's shadow.share; 0% for none)")
    String shadow;

    @Option(names = "--shadow-duration", paramLabel = "DURATION",
            description = "how long the shadow lasts, e.g. 30s or 2m (default: the app's shadow.duration)")
    String shadowDuration;

    @Option(names = "--shadow-fail-on-errors", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
            description = "fail the deploy, and remove the candidate, if its errors on the copies are worse than "
                    + "the live version's (default: the app's shadow.fail-on-errors)")
    Boolean shadowFailOnErrors;

    @Option(names = "--warm-up", paramLabel = "N|DURATION",
            description = "once the new version is healthy, and before it takes traffic, send it N GET requests "
                    + "(2000) or requests for DURATION (20s), on paths sampled from the app's live GET requests "
                    + "(or its health path); off: none (default: the app's warm-up)")
    String warmUp;

    @Option(names = "--replicas", paramLabel = "N",
            description = "start N instances of the new version, each on its own port, requests balanced across them "
                    + "(default: the app's replicas)")
    Integer replicas;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        DeployRequest request;
        Long intervalMs = canaryInterval == null ? null : durationMs("--canary-interval", canaryInterval);
        if (warmUp != null) {
            try {
                WarmUpSettings.parse(warmUp, false);
            } catch (IllegalArgumentException e) {
                throw new Main.CliFailure("--warm-up: " + e.getMessage());
            }
        }
        if (replicas != null && replicas < 1) {
            throw new Main.CliFailure("--replicas: must be at least 1, got " + replicas);
        }
        Long bakeMs = bake == null ? null : bake.trim().equals("off") ? Long.valueOf(0) : durationMs("--bake", bake);
        Long shadowMs = shadowDuration == null ? null : durationMs("--shadow-duration", shadowDuration);
        if (command) {
            request = new DeployRequest(null, what, env, !noWait, canary, intervalMs, release, bakeMs, shadow, shadowMs,
                    shadowFailOnErrors, warmUp, canaryOnDeadline, replicas);
        } else if (what.size() == 1) {
            request = new DeployRequest(what.get(0), null, env, !noWait, canary, intervalMs, release, bakeMs, shadow,
                    shadowMs, shadowFailOnErrors, warmUp, canaryOnDeadline, replicas);
        } else if (what.isEmpty()) {
            request = new DeployRequest(null, null, env, !noWait, canary, intervalMs, release, bakeMs, shadow,
                    shadowMs, shadowFailOnErrors, warmUp, canaryOnDeadline, replicas);  // the configured image or command
        } else {
            throw new Main.CliFailure("name one image, or use --command -- WORD... for a command");
        }
        AdminClient client = admin.client();
        DeploymentView accepted = client.post("/v1/deploy", request, DeploymentView.class, "deploy refused");
        return DeploymentFollower.follow(client, accepted, spec.commandLine().getOut());
    }

    /** A duration as HOCON writes it (60s, 500ms, 5m); a bare number is seconds. */
    private static long durationMs(String option, String text) {
        try {
            String t = text.trim();
            return com.typesafe.config.ConfigFactory.parseString("d = " + (t.matches("\\d+") ? t + "s" : t))
                    .getDuration("d").toMillis();
        } catch (com.typesafe.config.ConfigException e) {
            throw new Main.CliFailure(option + ": '" + text + "' is not a duration like 60s or 5m");
        }
    }
}
