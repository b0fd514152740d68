package io.cutover.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code cutover status}. It prints {@code GET /v1/status} (ApiModel.Status, or StatusAll for
 * several apps) and {@code GET /v1/lb} from their trees, not their records: the command people run
 * in loops and checks starts no ObjectMapper (see {@link JsonTree}). A field that is absent or
 * null reads as null, as binding did; an answer that is not an object is refused.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the active and previous targets, requests in flight, a canary and its windows, and the "
                + "last switch; of every app when cutover serves several and --app names none.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        AdminClient client = admin.client();
        JsonNode answer = client.tree("/v1/status");
        if (!answer.isObject()) {
            throw new Main.CliFailure("unexpected answer from " + client.address() + " (not a status)");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (answer.has("apps")) {
            for (JsonNode s : answer.path("apps")) {
                out.printf("== app %s%n", text(s, "name"));
                print(s, out);
            }
        } else {
            print(answer, out);
        }
        loadBalancer(client, out);
        return 0;
    }

    /** Whether the host is in the load balancer (ApiModel.LbView); nothing without a check (cutover.lb-health.path empty). */
    private static void loadBalancer(AdminClient client, PrintWriter out) {
        JsonNode lb;
        try {
            lb = client.tree("/v1/lb");
        } catch (Main.CliFailure e) {
            return;     // no load balancer check here (409), or a cutover from before /v1/lb (404)
        }
        if (!lb.isObject()) {
            return;
        }
        String path = text(lb, "path");
        out.printf("lb        %s%n", lb.path("in").asBoolean() ? "in: " + path + " answers 200"
                : lb.path("stopping").asBoolean() ? "stopping: " + path + " answers 503"
                : "OUT: " + path + " answers 503 while it serves (`cutover lb in` puts it back)");
    }

    /** One app's status (ApiModel.Status). */
    static void print(JsonNode s, PrintWriter out) {
        if (text(s, "active") == null) {
            out.println("active    none (requests are answered 503 until the first switch)");
        }
        for (JsonNode b : s.path("backends")) {
            out.printf("%-9s %-21s in-flight %d, connections %d%n", text(b, "state"), text(b, "target"),
                    b.path("inFlight").asInt(), b.path("connections").asInt());
            JsonNode replicas = b.path("replicas");
            if (replicas.size() > 1) {
                for (int k = 0; k < replicas.size(); k++) {
                    JsonNode r = replicas.get(k);
                    out.printf("  replica %d %-21s %s, in-flight %d, connections %d%n", k + 1, text(r, "target"),
                            r.path("up").asBoolean() ? "up" : "down (" + text(r, "down") + ")",
                            r.path("inFlight").asInt(), r.path("connections").asInt());
                }
            }
        }
        String previous = text(s, "previous");
        out.printf("previous  %s%s%n", previous == null ? "none" : previous,
                s.path("previousWarm").asBoolean() ? " (healthy just now: switching back is instant)" : "");
        JsonNode paused = object(s, "paused");
        if (paused != null) {
            out.printf("paused: %d requests held (each for up to %d s, at most %d); `cutover resume` ends it%n",
                    paused.path("held").asInt(), paused.path("timeoutSeconds").asLong(), paused.path("maxHeld").asInt());
        }
        if (s.path("maintenance").asBoolean()) {
            out.println("maintenance on: every request is answered 503 (`cutover maintenance off` ends it)");
        }
        canary(object(s, "canary"), out);
        bake(object(s, "bake"), out);
        app(object(s, "app"), out);
        lastSwitch(object(s, "lastSwitch"), out);
    }

    private static void canary(JsonNode c, PrintWriter out) {
        if (c == null) {
            return;
        }
        StringBuilder steps = new StringBuilder("[");
        for (JsonNode step : c.path("steps")) {
            steps.append(steps.length() > 1 ? ", " : "").append(step.asInt());
        }
        out.printf("canary %s takes %d%% of requests (steps %s, windows of %d s)%n", text(c, "target"),
                c.path("share").asInt(), steps.append(']'), c.path("intervalMs").asLong() / 1000);
        if (c.path("held").asBoolean()) {
            out.println("  held: inconclusive at the progress deadline; decide with `cutover canary promote` or "
                    + "`cutover canary abort`");
        }
        for (JsonNode w : c.path("windows")) {
            JsonNode canary = w.path("canary");
            JsonNode stable = w.path("stable");
            out.printf("  %-12s at %3d%%: %s; canary %d requests, %d errors, p99 %.1f ms; stable %d requests, "
                    + "%d errors, p99 %.1f ms%n", text(w, "verdict"), w.path("share").asInt(), text(w, "why"),
                    canary.path("requests").asLong(), canary.path("errors").asLong(), canary.path("p99Ms").asDouble(),
                    stable.path("requests").asLong(), stable.path("errors").asLong(), stable.path("p99Ms").asDouble());
        }
    }

    private static void bake(JsonNode bake, PrintWriter out) {
        if (bake == null) {
            return;
        }
        out.printf("baking %s: %d s of %d s, %s kept running to go back to (windows of the new version since the "
                + "flip against the previous version before it)%n", text(bake, "target"),
                bake.path("elapsedMs").asLong() / 1000, bake.path("lengthMs").asLong() / 1000, text(bake, "previous"));
        for (JsonNode w : bake.path("windows")) {
            JsonNode now = w.path("now");
            JsonNode before = w.path("before");
            out.printf("  %-12s after %3d s: %s; new %d requests, %d errors, p99 %.1f ms; before %d requests, "
                    + "%d errors, p99 %.1f ms%n", text(w, "verdict"), w.path("elapsedMs").asLong() / 1000,
                    text(w, "why"), now.path("requests").asLong(), now.path("errors").asLong(),
                    now.path("p99Ms").asDouble(), before.path("requests").asLong(), before.path("errors").asLong(),
                    before.path("p99Ms").asDouble());
        }
    }

    private static void app(JsonNode app, PrintWriter out) {
        if (app == null) {
            return;
        }
        String deploying = text(app, "deploying");
        out.printf("app %s (%s)%s%n", text(app, "name"), text(app, "runtime"),
                deploying == null ? "" : ", deploy " + deploying + " running");
        printVersion(out, "version", object(app, "active"));
        printVersion(out, "previous version", object(app, "previous"));
        if (text(app, "previousStopsAt") != null) {
            out.printf("  %-17s %s (kept running for an instant rollback until then)%n", "previous stops at",
                    text(app, "previousStopsAt"));
        }
        if (text(app, "problem") != null) {
            out.printf("  %-17s %s%n", "problem", text(app, "problem"));
        }
    }

    private static void lastSwitch(JsonNode w, PrintWriter out) {
        if (w == null) {
            out.println("last switch: none");
            return;
        }
        String from = text(w, "from");
        out.printf("last switch: %s -> %s at %s, healthy after %d ms%n", from == null ? "none" : from,
                text(w, "to"), text(w, "at"), w.path("healthWaitMs").asLong());
        JsonNode d = object(w, "drain");
        if (d == null && from != null) {
            out.printf("  draining %s ...%n", from);
        } else if (from != null) {
            out.printf("  drained %d of %d in-flight requests in %d ms, %d cut at the deadline%n",
                    d.path("completed").asInt(), d.path("inFlight").asInt(), d.path("tookMs").asLong(),
                    d.path("forced").asInt());
        }
    }

    private static void printVersion(PrintWriter out, String label, JsonNode v) {
        if (v == null) {
            out.printf("  %-17s none%n", label);
        } else {
            out.printf("  %-17s %s on %s at %s (deploy %s, %s)%n", label, text(v, "release"), text(v, "colour"),
                    text(v, "target"), text(v, "deployId"), text(v, "running"));
        }
    }

    /** The field's text, or null when it is absent or null (as a record's String field bound from it). */
    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** The field's object, or null when it is absent or null. */
    private static JsonNode object(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }
}
