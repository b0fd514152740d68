package io.cutover.control.compose;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.deploy.runtime.AppRuntime.RuntimeFailure;
import io.cutover.control.deploy.runtime.ContainerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A compose file as its compose CLI normalised it ({@code docker compose config --format json},
 * or {@code docker-compose config}'s YAML): interpolation, {@code extends}, env files and
 * relative paths are the CLI's work, never redone here. This reads one service of it into the
 * container a colour runs, and refuses what cannot work with two colours running at once.
 */
public final class ComposeModel {
    /** Keys of a service read into its colours' containers (or checked, or harmless to leave out). */
    private static final Set<String> READ = Set.of("image", "build", "command", "entrypoint", "environment", "env_file",
            "volumes", "networks", "network_mode", "user", "working_dir", "labels", "restart", "stop_grace_period",
            "stop_signal", "healthcheck", "init", "expose", "ports", "profiles", "depends_on", "pull_policy");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private final JsonNode root;
    private final String file;
    private final String project;

    /**
     * @param root    the normalised model
     * @param file    the compose file (for messages and compose's labels)
     * @param project the project's name: the one the user set, else the model's own ({@code name},
     *                compose v2), else the one compose v1 gives a file's directory
     */
    public ComposeModel(JsonNode root, String file, String project) {
        this.root = root;
        this.file = file;
        String dir = parentName(file);
        this.project = project != null && !project.isBlank() ? project.trim()
                : root.path("name").isTextual() && !root.path("name").asText().isBlank() ? root.path("name").asText()
                : dir.toLowerCase(Locale.ROOT).replaceAll("[^-_a-z0-9]", "");
    }

    public String project() {
        return project;
    }

    /**
     * The container of {@code service} for a release of {@code imageOrTag}.
     *
     * @param imageOrTag    a full image ({@code shop:v2}, {@code registry:5000/shop}), a tag of the
     *                      service's image ({@code v2}), or empty (the service's image as it is)
     * @param port          the port the app listens on in its container; 0: the service's one
     *                      {@code expose}, else {@code defaultPort}
     * @param ignored       receives each key of the service that its colours do without
     * @throws RuntimeFailure what cannot work, for the user
     */
    public ContainerSpec spec(String service, String imageOrTag, int port, int defaultPort, List<String> ignored) {
        JsonNode s = root.path("services").path(service);
        if (!s.isObject()) {
            List<String> names = new ArrayList<>();
            root.path("services").fieldNames().forEachRemaining(names::add);
            throw new RuntimeFailure("compose file " + file + " has no service '" + service + "'"
                    + (names.isEmpty() ? " (it has no services)" : " (its services: " + String.join(", ", names) + ")"));
        }
        String where = "service '" + service + "' of " + file;
        String image = image(s, where, imageOrTag == null ? "" : imageOrTag.trim());
        String networkMode = text(s, "network_mode");
        boolean host = "host".equals(networkMode);
        checkPorts(s, where, host);
        if (networkMode != null && !host) {
            throw new RuntimeFailure(where + " has network_mode: " + networkMode + "; cutover runs its colours on the "
                    + "project's networks, or with network_mode: host: leave network_mode out, or set it to host");
        }
        for (Iterator<String> keys = s.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!READ.contains(key)) {
                ignored.add(key);
            }
        }
        Map<String, String> labels = new LinkedHashMap<>(map(s.path("labels")));
        labels.put("com.docker.compose.project", project);
        labels.put("com.docker.compose.service", service);
        labels.put("com.docker.compose.oneoff", "False");
        labels.put("com.docker.compose.project.config_files", file);
        labels.put("com.docker.compose.project.working_dir", parent(file));
        return new ContainerSpec(image, words(s.path("entrypoint")), words(s.path("command")), map(s.path("environment")),
                binds(s.path("volumes"), ignored), text(s, "user"), text(s, "working_dir"), labels,
                s.path("restart").isTextual() ? s.path("restart").asText() : "no",
                s.has("stop_grace_period") ? duration(s.path("stop_grace_period"), where + " stop_grace_period")
                        : Duration.ofSeconds(10),
                text(s, "stop_signal"), !s.has("init") || s.path("init").asBoolean(),
                healthcheck(s.path("healthcheck"), where), host ? List.of() : networks(s, service),
                host ? "host" : null, port > 0 ? port : exposed(s, where, defaultPort));
    }

    /** The release's image: a full one, or the service's with this tag, or the service's own. */
    private static String image(JsonNode s, String where, String imageOrTag) {
        boolean full = imageOrTag.contains("/") || imageOrTag.contains(":") || imageOrTag.contains("@");
        if (full) {
            return imageOrTag;
        }
        String own = s.path("image").isTextual() ? s.path("image").asText().trim() : "";
        if (own.isEmpty()) {
            throw new RuntimeFailure(where + (s.has("build") ? " has build: but no image:" : " has no image:")
                    + ", so there is no image " + (imageOrTag.isEmpty() ? "to run" : "to put the tag " + imageOrTag + " on")
                    + ": give the service an image: (the repository your builds are tagged in, e.g. image: shop:latest) "
                    + "or deploy a full image (shop:v2)");
        }
        return imageOrTag.isEmpty() ? own : repository(own) + ":" + imageOrTag;
    }

    /** An image's repository: without its tag or digest. */
    static String repository(String image) {
        String s = image;
        int at = s.indexOf('@');
        if (at >= 0) {
            s = s.substring(0, at);
        }
        int colon = s.lastIndexOf(':');
        return colon > s.lastIndexOf('/') ? s.substring(0, colon) : s;
    }

    /** Ports published at a fixed host port cannot be held by two colours at once; host networking publishes nothing. */
    private static void checkPorts(JsonNode s, String where, boolean host) {
        JsonNode ports = s.path("ports");
        if (!ports.isArray() || ports.isEmpty()) {
            return;
        }
        if (host) {
            throw new RuntimeFailure(where + " has network_mode: host and ports: " + describe(ports) + "; with host "
                    + "networking nothing is published (the app listens on the colour's port, $PORT): delete ports:");
        }
        for (JsonNode p : ports) {
            String published = p.isObject() ? p.path("published").asText("") : hostPart(p.asText());
            if (!published.isEmpty() && !published.equals("0")) {
                throw new RuntimeFailure(where + " publishes host port " + published + " (ports: " + describe(ports)
                        + "): the blue and green colours run at once and cannot both hold it, and cutover publishes "
                        + "each colour itself on 127.0.0.1 at the colour's port (cutover.app.ports): delete the "
                        + "service's ports:");
            }
        }
    }

    /** The host port of a short-syntax port ("8081:8080", "127.0.0.1:8081:8080"), or "". */
    private static String hostPart(String spec) {
        String[] parts = spec.split(":");
        return parts.length >= 2 ? parts[parts.length - 2] : "";
    }

    private static String describe(JsonNode ports) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : ports) {
            out.add(p.isObject() ? (p.has("published") ? p.path("published").asText() + ":" : "")
                    + p.path("target").asText() : p.asText());
        }
        return String.join(", ", out);
    }

    /** The container port: the service's one {@code expose}, else {@code defaultPort}. */
    private static int exposed(JsonNode s, String where, int defaultPort) {
        JsonNode expose = s.path("expose");
        if (!expose.isArray() || expose.isEmpty()) {
            return defaultPort;
        }
        if (expose.size() > 1) {
            throw new RuntimeFailure(where + " exposes several ports (" + expose + "): set cutover.app.compose.port to "
                    + "the one the app answers HTTP on");
        }
        String p = expose.get(0).asText().replaceAll("/.*", "");
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new RuntimeFailure(where + " exposes '" + expose.get(0).asText() + "': set cutover.app.compose.port");
        }
    }

    /** The networks the service joins (default: the project's default network), each with the service's name as an alias. */
    private List<ContainerSpec.Network> networks(JsonNode s, String service) {
        Map<String, List<String>> joined = new LinkedHashMap<>();
        JsonNode n = s.path("networks");
        if (n.isArray()) {
            n.forEach(x -> joined.put(x.asText(), List.of()));
        } else if (n.isObject()) {
            n.fields().forEachRemaining(e -> joined.put(e.getKey(), texts(e.getValue().path("aliases"))));
        }
        if (joined.isEmpty()) {
            joined.put("default", List.of());
        }
        List<ContainerSpec.Network> out = new ArrayList<>();
        joined.forEach((key, aliases) -> {
            List<String> all = new ArrayList<>(List.of(service));
            all.addAll(aliases);
            out.add(new ContainerSpec.Network(resourceName(root.path("networks").path(key), key), all));
        });
        return out;
    }

    /** The engine's name of a top-level network or volume: its {@code name}, an external one's key, else PROJECT_KEY. */
    private String resourceName(JsonNode top, String key) {
        if (top.path("name").isTextual()) {
            return top.path("name").asText();
        }
        JsonNode external = top.path("external");
        if (external.path("name").isTextual()) {
            return external.path("name").asText();
        }
        return external.asBoolean(false) ? key : project + "_" + key;
    }

    /** Binds and named volumes, as Docker's SOURCE:TARGET[:MODE]; anonymous and tmpfs ones are left out (and named). */
    private List<String> binds(JsonNode volumes, List<String> ignored) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : volumes) {
            if (v.isTextual()) {
                String[] parts = v.asText().split(":");
                if (parts.length < 2) {
                    ignored.add("volumes (anonymous " + v.asText() + ")");
                    continue;
                }
                parts[0] = volumeSource(parts[0]);
                out.add(String.join(":", parts));
            } else {
                String type = v.path("type").asText("volume");
                String source = v.path("source").asText("");
                String target = v.path("target").asText("");
                if (!(type.equals("bind") || type.equals("volume")) || source.isEmpty()) {
                    ignored.add("volumes (" + type + " " + target + ")");
                    continue;
                }
                out.add((type.equals("bind") ? source : volumeSource(source)) + ":" + target
                        + (v.path("read_only").asBoolean(false) ? ":ro" : ""));
            }
        }
        return out;
    }

    private String volumeSource(String source) {
        return source.startsWith("/") || source.startsWith(".") || source.startsWith("~") ? source
                : resourceName(root.path("volumes").path(source), source);
    }

    private static ContainerSpec.Healthcheck healthcheck(JsonNode h, String where) {
        if (!h.isObject()) {
            return null;
        }
        if (h.path("disable").asBoolean(false)) {
            return new ContainerSpec.Healthcheck(List.of("NONE"), null, null, 0, null);
        }
        JsonNode test = h.path("test");
        List<String> command = test.isTextual() ? List.of("CMD-SHELL", test.asText()) : texts(test);
        if (command.isEmpty()) {
            return null;    // only timings: the image's own test, which the engine keeps
        }
        return new ContainerSpec.Healthcheck(command, optionalDuration(h.path("interval"), where),
                optionalDuration(h.path("timeout"), where), h.path("retries").asInt(0),
                optionalDuration(h.path("start_period"), where));
    }

    private static Duration optionalDuration(JsonNode d, String where) {
        return d.isMissingNode() || d.isNull() ? null : duration(d, where + " healthcheck");
    }

    /** A compose duration: Go's form (1m30s, 500ms), or a number (nanoseconds). */
    static Duration duration(JsonNode d, String what) {
        if (d.isNumber()) {
            return Duration.ofNanos(d.asLong());    // the v2 CLI's JSON gives nanoseconds
        }
        String text = d.asText().trim();
        Matcher m = DURATION_PART.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            long unitNanos = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            total = total.plusNanos((long) (n * unitNanos));
            end = m.end();
        }
        if (end == 0 || end != text.length()) {
            throw new RuntimeFailure(what + " is not a duration like 30s or 1m30s: '" + text + "'");
        }
        return total;
    }

    private static String text(JsonNode s, String key) {
        JsonNode v = s.path(key);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    private static List<String> texts(JsonNode list) {
        List<String> out = new ArrayList<>();
        if (list.isArray()) {
            list.forEach(x -> out.add(x.asText()));
        }
        return out;
    }

    /** A mapping, or a list of KEY=VALUE; keys without a value (unset variables) are left out. */
    private static Map<String, String> map(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    out.put(e.getKey(), e.getValue().asText());
                }
            });
        } else if (node.isArray()) {
            for (JsonNode x : node) {
                int eq = x.asText().indexOf('=');
                if (eq > 0) {
                    out.put(x.asText().substring(0, eq), x.asText().substring(eq + 1));
                }
            }
        }
        return out;
    }

    /** A command: a list of words, or a string split as a shell splits words (quotes and backslashes). */
    static List<String> words(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        if (node.isArray()) {
            return texts(node);
        }
        List<String> out = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        String s = node.asText();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (word != null) {
                    out.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (quote == 0 && (c == '\'' || c == '"')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote != '\'' && i + 1 < s.length()) {
                word.append(s.charAt(++i));
            } else {
                word.append(c);
            }
        }
        if (word != null) {
            out.add(word.toString());
        }
        return out;
    }

    private static String parent(String file) {
        java.nio.file.Path p = java.nio.file.Path.of(file).toAbsolutePath().getParent();
        return p == null ? "/" : p.toString();
    }

    private static String parentName(String file) {
        java.nio.file.Path p = java.nio.file.Path.of(file).toAbsolutePath().getParent();
        return p == null || p.getFileName() == null ? "" : p.getFileName().toString();
    }
}
