package io.cutover.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cutover history}: the audit trail's last lines, oldest first. */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = "Show what was done to the apps, oldest first: each switch, deploy, rollback, canary decision, "
                + "maintenance and pause change, who asked (the admin client) and how it went, and what cutover "
                + "did by itself (a deploy's end, a canary's decision); of one app with --app.")
final class HistoryCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Option(names = "--last", paramLabel = "N", defaultValue = "50",
            description = "how many lines, the latest (default: ${DEFAULT-VALUE}, at most 10000)")
    int last;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        JsonNode answer = admin.client().get("/v1/history?last=" + last, JsonNode.class);
        PrintWriter out = spec.commandLine().getOut();
        JsonNode entries = answer.get("entries");
        if (entries == null || entries.isEmpty()) {
            out.println("no history yet");
            return 0;
        }
        for (JsonNode e : entries) {
            out.println(line(e));
        }
        return 0;
    }

    /** "2026-12-04T21:30:00Z  shop  deploy a1b2c3d4  by tcp 127.0.0.1:51234  release=v2  -> 202". */
    static String line(JsonNode e) {
        StringBuilder b = new StringBuilder();
        b.append(text(e, "at")).append("  ").append(e.hasNonNull("app") ? text(e, "app") : "-").append("  ")
                .append(text(e, "what"));
        if (e.hasNonNull("deployment")) {
            b.append(' ').append(text(e, "deployment"));
        }
        b.append("  by ").append(text(e, "client"));
        JsonNode request = e.get("request");
        if (request != null && request.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                b.append("  ").append(f.getKey()).append('=')
                        .append(f.getValue().isTextual() ? f.getValue().asText() : f.getValue().toString());
            }
        }
        b.append("  -> ").append(text(e, "result"));
        return b.toString();
    }

    private static String text(JsonNode e, String field) {
        JsonNode v = e.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }
}
