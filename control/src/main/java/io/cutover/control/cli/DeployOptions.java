package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.config.WarmUpSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What to deploy and how: the options {@code cutover deploy} and {@code cutover rollout} share. */
final class DeployOptions {
    @Parameters(paramLabel = "IMAGE", arity = "0..*",
            description = "the image to run (with --compose, or the app's compose.file: a full image, or a tag of the "
                    + "service's image; or, with --command, the command's words)")
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
            description = "how many instances of the new version to start, each on its own port; the proxy balances "
                    + "requests across them (default: the app's replicas)")
    Integer replicas;

    /** The deploy request these options ask for. */
    DeployRequest request() {
        return request(null, null, null);
    }

    /**
     * The deploy request these options ask for, running a service of a compose file (an absolute
     * path on cutover's host), or, all null, what the options name or the app's configured version.
     */
    DeployRequest request(String composeFile, String service, String project) {
        Long intervalMs = canaryInterval == null ? null : durationMs("--canary-interval", canaryInterval);
        if (warmUp != null) {
            try {
                WarmUpSettings.parse(warmUp, false);
            } catch (IllegalArgumentException e) {
                throw new Main.CliFailure("--warm-up: " + e.getMessage());
            }
        }
        Long bakeMs = bake == null ? null : bake.trim().equals("off") ? Long.valueOf(0) : durationMs("--bake", bake);
        Long shadowMs = shadowDuration == null ? null : durationMs("--shadow-duration", shadowDuration);
        if (replicas != null && replicas < 1) {
            throw new Main.CliFailure("--replicas: must be at least 1, got " + replicas);
        }
        if (command && (composeFile != null || service != null || project != null)) {
            throw new Main.CliFailure("--compose, --service and --project deploy a container, not --command");
        }
        if (command) {
            return new DeployRequest(null, what, env, !noWait, canary, intervalMs, release, bakeMs, shadow, shadowMs,
                    shadowFailOnErrors, warmUp, canaryOnDeadline, null, null, null, replicas);
        } else if (what.size() == 1) {
            return new DeployRequest(what.get(0), null, env, !noWait, canary, intervalMs, release, bakeMs, shadow,
                    shadowMs, shadowFailOnErrors, warmUp, canaryOnDeadline, composeFile, service, project, replicas);
        } else if (what.isEmpty()) {
            // the configured image or command (or the compose service's own image)
            return new DeployRequest(null, null, env, !noWait, canary, intervalMs, release, bakeMs, shadow,
                    shadowMs, shadowFailOnErrors, warmUp, canaryOnDeadline, composeFile, service, project, replicas);
        }
        throw new Main.CliFailure("name one image, or use --command -- WORD... for a command");
    }

    /** A duration as HOCON writes it (60s, 500ms, 5m); a bare number is seconds. */
    static long durationMs(String option, String text) {
        try {
            String t = text.trim();
            return com.typesafe.config.ConfigFactory.parseString("d = " + (t.matches("\\d+") ? t + "s" : t))
                    .getDuration("d").toMillis();
        } catch (com.typesafe.config.ConfigException e) {
            throw new Main.CliFailure(option + ": '" + text + "' is not a duration like 60s or 5m");
        }
    }
}
