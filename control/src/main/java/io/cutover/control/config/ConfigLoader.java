package io.cutover.control.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.cutover.proxy.AppRule;
import io.cutover.proxy.Canary;
import io.cutover.proxy.ProxySettings;
import io.cutover.proxy.Router;
import io.cutover.proxy.Target;
import io.cutover.proxy.Transport;
import io.cutover.proxy.TrustedProxies;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Reads settings: command-line overrides over the HOCON file over {@code reference.conf}. Every
 * problem is a {@link ConfigError} whose message names the key.
 */
public final class ConfigLoader {
    private static final String ROOT = "cutover";
    /** Objects whose keys are the user's own (environment variable names). */
    private static final java.util.Set<String> OPEN_OBJECTS = java.util.Set.of("cutover.app.env", "cutover.apps");

    private ConfigLoader() {
    }

    /**
     * @param file      the user's file, if any
     * @param overrides full keys (e.g. {@code cutover.listen}) to values, from flags
     */
    public static Settings load(Optional<Path> file, Map<String, ?> overrides) {
        return load(file, overrides, Environment.SYSTEM);
    }

    /** As {@link #load(Optional, Map)}, with the process's environment given (tests pass their own). */
    public static Settings load(Optional<Path> file, Map<String, ?> overrides, Environment environment) {
        // resolved on its own first (it may read the environment)
        Config reference = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf")
                .resolve();
        Config user = ConfigFactory.empty();
        if (file.isPresent()) {
            Path path = file.get();
            if (!Files.isReadable(path)) {
                throw new ConfigError("config file " + path + " cannot be read");
            }
            try {
                user = ConfigFactory.parseFile(path.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new ConfigError(e.getMessage());
            }
        }
        Config merged = ConfigFactory.parseMap(overrides, "command-line flags").withFallback(user);
        rejectUnknownKeys(merged.root(), reference, "", "");
        try {
            Config config = merged.withFallback(reference).resolve();
            // ports may be a list or an object (a list per colour): read() checks it
            config.withoutPath(path("app.ports")).checkValid(reference.withoutPath(path("app.ports")), ROOT);
            return read(config, reference, environment);
        } catch (ConfigException e) {
            throw new ConfigError(e.getMessage());
        }
    }

    /**
     * @param shown what the keys are shown under in a message ({@code cutover.apps.shop.} for an
     *              app's keys, checked against the template of an app)
     */
    private static void rejectUnknownKeys(ConfigObject object, Config reference, String prefix, String shown) {
        for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
            String key = prefix + quote(e.getKey());
            if (!reference.hasPathOrNull(key)) {
                throw new ConfigError("unknown config key '" + shown + key + "' (" + e.getValue().origin().description()
                        + "); see reference.conf for the keys cutover knows");
            }
            if (e.getValue().valueType() == ConfigValueType.OBJECT && !OPEN_OBJECTS.contains(key)
                    && !key.equals("env") && reference.getValue(key).valueType() == ConfigValueType.OBJECT) {
                rejectUnknownKeys((ConfigObject) e.getValue(), reference, key + ".", shown);
            }
        }
    }

    private static Settings read(Config c, Config reference, Environment environment) {
        ProxySettings proxy = new ProxySettings(
                positive(c, "timeouts.connect"),
                positive(c, "timeouts.response"),
                positive(c, "timeouts.client-idle"),
                positive(c, "timeouts.backend-idle"),
                idlePerLoop(c),
                bytes(c, "limits.max-header-size"),
                bytes(c, "limits.max-initial-line"),
                trusted(c),
                positive(c, "timeouts.request-head"),
                bodyLimit(c),
                c.getBoolean(path("proxy-protocol")),
                positive(c, "timeouts.request-body-idle"),
                minBodyRate(c));
        String transport = c.getString(path("transport"));
        try {
            Transport.select(transport);
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            throw bad(c, "transport", e.getMessage());
        }
        InetSocketAddress admin = address(c, "admin");
        AdminTokenSetting token = adminToken(c, environment);
        if (token.isNone() && !admin.getAddress().isLoopbackAddress()) {
            throw new ConfigError("cutover.admin-token is empty, which turns the admin API's token off, but "
                    + "cutover.admin binds " + admin.getAddress().getHostAddress() + ", which is not loopback: "
                    + "whoever reaches the admin API could redirect all traffic; leave cutover.admin-token unset "
                    + "(cutover makes one in its state directory), set one, or bind the admin API to 127.0.0.1");
        }
        Path stateDir = stateDir(c, environment);
        return new Settings(
                address(c, "listen"),
                admin,
                token,
                adminHosts(c),
                transport,
                atLeast(c, "event-loops", 0),
                proxy,
                positive(c, "drain.deadline"),
                positive(c, "metrics.keep-retired"),
                stateDir,
                new AccessLogSettings(c.getString(path("access-log.path")).trim(),
                        choice(c, "access-log.format", AccessLogSettings.Format.class), accessLogBuffer(c)),
                lbHealth(c),
                apps(c, reference, stateDir),
                notNegative(c, "takeover.deadline"),
                adminSocket(c, stateDir),
                notify(c));
    }

    /** {@code cutover.notify}: http(s) URLs only; no message shows a URL (they are secrets), only its place in the list. */
    private static NotifySettings notify(Config c) {
        List<java.net.URI> urls = new ArrayList<>();
        List<String> configured = c.getStringList(path("notify.webhooks"));
        for (int i = 0; i < configured.size(); i++) {
            String problem = null;
            java.net.URI uri = null;
            try {
                uri = new java.net.URI(configured.get(i).trim());
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    problem = "is not an http or https URL";
                } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
                    problem = "names no host";
                }
            } catch (java.net.URISyntaxException e) {
                problem = "is not a URL";
            }
            if (problem != null) {
                throw new ConfigError("invalid value at '" + path("notify.webhooks") + "' ("
                        + c.getValue(path("notify.webhooks")).origin().description() + "): webhook " + (i + 1)
                        + " of " + configured.size() + " " + problem + " (the URL is not shown: it may hold a secret)");
            }
            urls.add(uri);
        }
        return new NotifySettings(urls, positive(c, "notify.timeout"), atLeast(c, "notify.attempts", 1));
    }

    /** {@code hooks} of an app: each a shell command (empty: none), and the timeout each has. */
    private static HookSettings hooks(Config c, String base) {
        java.util.EnumMap<HookSettings.Hook, String> commands = new java.util.EnumMap<>(HookSettings.Hook.class);
        for (HookSettings.Hook h : HookSettings.Hook.values()) {
            String command = c.getString(path(base + ".hooks." + h.key())).trim();
            if (!command.isEmpty()) {
                commands.put(h, command);
            }
        }
        return new HookSettings(commands, positive(c, base + ".hooks.timeout"));
    }

    /**
     * {@code cutover.admin-token}: the file's or a flag's value (an explicit {@code ""} turns the
     * token off), else {@code CUTOVER_ADMIN_TOKEN} if set and not blank, else not set. No message
     * shows the token.
     */
    private static AdminTokenSetting adminToken(Config c, Environment environment) {
        String token;
        if (c.getIsNull(path("admin-token"))) {
            String variable = environment.variable("CUTOVER_ADMIN_TOKEN");
            if (variable == null || variable.isBlank()) {
                return AdminTokenSetting.NOT_SET;
            }
            token = variable.trim();
            if (token.length() < 16) {
                throw new ConfigError("CUTOVER_ADMIN_TOKEN must be at least 16 characters");
            }
        } else {
            token = c.getString(path("admin-token")).trim();
            if (token.isEmpty()) {
                return AdminTokenSetting.NONE;
            }
            if (token.length() < 16) {
                throw bad(c, "admin-token", "must be at least 16 characters");
            }
        }
        if (!token.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new ConfigError("cutover.admin-token must be printable ASCII without spaces");
        }
        return AdminTokenSetting.of(token);
    }

    /** {@code cutover.admin-socket}: a path (relative: in the state directory), or none ({@code ""}). */
    private static java.util.Optional<Path> adminSocket(Config c, Path stateDir) {
        String value = c.getString(path("admin-socket")).trim();
        if (value.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(stateDir.resolve(value).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            throw bad(c, "admin-socket", "is not a path: " + e.getMessage());
        }
    }

    /** {@code cutover.admin-hosts}: DNS names (no IPs, ports or wildcards), kept in lower case. */
    private static List<String> adminHosts(Config c) {
        List<String> hosts = new ArrayList<>();
        for (String h : c.getStringList(path("admin-hosts"))) {
            String name = h.trim().toLowerCase(Locale.ROOT);
            if (name.endsWith(".")) {
                name = name.substring(0, name.length() - 1);
            }
            if (name.length() > 253 || !name.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
                throw bad(c, "admin-hosts", "'" + h + "' is not a DNS name (give names only: no port, no wildcard; "
                        + "IP addresses and localhost are always allowed)");
            }
            if (name.matches("[0-9.]+")) {
                throw bad(c, "admin-hosts", "'" + h + "' is an IP address, which is always allowed: list names only");
            }
            hosts.add(name);
        }
        return List.copyOf(hosts);
    }

    /**
     * The state directory: as configured, or the usual place for a service's state (never the
     * working directory).
     */
    private static Path stateDir(Config c, Environment environment) {
        String configured = c.getString(path("state-dir")).trim();
        if (!configured.isEmpty()) {
            return Path.of(configured).toAbsolutePath();
        }
        return defaultStateDir(environment);
    }

    /**
     * The state directory when {@code cutover.state-dir} is not set: {@code $CUTOVER_STATE_DIR},
     * else /var/lib/cutover for root, else the user's state directory (the CLI finds the admin
     * token there).
     */
    public static Path defaultStateDir(Environment environment) {
        String variable = environment.variable("CUTOVER_STATE_DIR");
        if (variable != null && !variable.isBlank()) {
            return Path.of(variable.trim()).toAbsolutePath();
        }
        if (environment.root()) {
            return Path.of("/var/lib/cutover");
        }
        String xdg = environment.variable("XDG_STATE_HOME");
        if (xdg != null && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "cutover");
        }
        String home = environment.variable("HOME");
        if (home == null || home.isBlank()) {
            throw new ConfigError("cannot tell where to keep state: HOME is not set; set cutover.state-dir");
        }
        return Path.of(home, ".local", "state", "cutover");
    }


    /**
     * The apps: those under {@code cutover.apps}, each with its own keys over the defaults of
     * {@code cutover.app} (and the top-level health and drain); or else the one app of the
     * top-level keys, taking every request.
     */
    private static List<AppConfig> apps(Config c, Config reference, Path stateDir) {
        ConfigObject several = c.getObject(path("apps"));
        if (several.isEmpty()) {
            String name = c.getString(path("app.name")).trim();
            String target = c.getString(path("target")).trim();
            Optional<AppSettings> deploy = name.isEmpty() ? Optional.empty() : Optional.of(app(c, "app", name, stateDir));
            String app = name.isEmpty() ? Router.DEFAULT_APP : name;
            return List.of(new AppConfig(app, rule(c, "app", app), target.isEmpty() ? Optional.empty()
                    : Optional.of(target(c, "target")), health(c, ""), positive(c, "drain.deadline"), deploy,
                    canary(c, "app.canary"), shadow(c, "app.shadow")));
        }
        if (!c.getString(path("app.name")).isBlank() || !c.getString(path("target")).isBlank()) {
            throw new ConfigError("cutover.apps names several apps, so cutover.app.name and cutover.target must not "
                    + "be set: give each app its own keys under cutover.apps.NAME");
        }
        Config template = reference.getConfig(path("app")).withoutPath("name")
                .withValue("target", reference.getValue(path("target")))
                .withValue("health", c.getValue(path("health")))
                .withValue("drain", c.getValue(path("drain")));
        List<AppConfig> apps = new ArrayList<>();
        // HOCON keeps no order among an object's keys: the apps go by name
        for (Map.Entry<String, ConfigValue> e : new java.util.TreeMap<>(several).entrySet()) {
            String name = e.getKey();
            String base = "apps." + quote(name);
            if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                throw bad(c, base, "must be an object of the app's settings");
            }
            rejectUnknownKeys((ConfigObject) e.getValue(), template, "", path(base) + ".");
            Config merged = ((ConfigObject) e.getValue()).toConfig().withFallback(template);
            merged.withoutPath("ports").checkValid(template.withoutPath("ports"));
            Config a = c.withValue(path(base), merged.root());
            String target = a.getString(path(base + ".target")).trim();
            apps.add(new AppConfig(name, rule(a, base, name), target.isEmpty() ? Optional.empty() : Optional.of(target(a, base + ".target")),
                    health(a, base + "."), positive(a, base + ".drain.deadline"),
                    target.isEmpty() ? Optional.of(app(a, base, name, stateDir)) : Optional.empty(),
                    canary(a, base + ".canary"), shadow(a, base + ".shadow")));
        }
        try {
            AppRule.checkClaims(apps.stream().map(AppConfig::rule).toList());
        } catch (IllegalArgumentException ex) {
            throw new ConfigError("cutover.apps: " + ex.getMessage());
        }
        return List.copyOf(apps);
    }

    private static LbHealthSettings lbHealth(Config c) {
        String p = c.getString(path("lb-health.path")).trim();
        if (!p.isEmpty() && (!p.startsWith("/") || p.indexOf('?') >= 0 || p.chars().anyMatch(ch -> ch <= ' '))) {
            throw bad(c, "lb-health.path", "must start with / and hold no query or spaces, got '" + p + "'");
        }
        return new LbHealthSettings(p, positive(c, "lb-health.grace"));
    }

    private static AppRule rule(Config c, String base, String name) {
        try {
            return new AppRule(name, c.getStringList(path(base + ".hosts")), c.getString(path(base + ".path-prefix")),
                    c.getBoolean(path(base + ".strip-prefix")));
        } catch (IllegalArgumentException ex) {
            throw bad(c, base + ".hosts", ex.getMessage());
        }
    }

    private static HealthSettings health(Config c, String base) {
        return new HealthSettings(
                healthPath(c, base + "health.path"),
                positive(c, base + "health.interval"),
                positive(c, base + "health.timeout"),
                positive(c, base + "health.deadline"));
    }

    private static CanarySettings canary(Config c, String base) {
        List<Integer> steps = c.getIntList(path(base + ".steps"));
        String problem = CanarySettings.problemWith(steps);
        if (problem != null) {
            throw bad(c, base + ".steps", problem);
        }
        List<Canary.Allow> allow = new ArrayList<>();
        for (String rule : c.getStringList(path(base + ".allow"))) {
            allow.add(allowRule(c, base + ".allow", rule));
        }
        double errorRatio = c.getDouble(path(base + ".error-ratio"));
        double errorPoints = c.getDouble(path(base + ".error-points"));
        double latencyRatio = c.getDouble(path(base + ".latency-ratio"));
        if (errorRatio < 1 || errorPoints < 0 || latencyRatio < 1) {
            throw bad(c, base, "error-ratio and latency-ratio must be at least 1, error-points not negative");
        }
        long minErrors = atLeast(c, base + ".min-errors", 0);
        ConfigOrigin origin = c.getValue(path(base + ".min-errors")).origin();
        if (origin.resource() == null || !origin.resource().equals("reference.conf")) {
            LoggerFactory.getLogger(ConfigLoader.class).warn("cutover.{}.min-errors ({}) is no longer used and is ignored:"
                    + " the canary's error test decides how many errors are enough; remove it", base,
                    origin.description());
        }
        return new CanarySettings(steps, positive(c, base + ".interval"), atLeast(c, base + ".min-requests", 1),
                atLeast(c, base + ".failure-limit", 1), positive(c, base + ".progress-deadline"), errorRatio, errorPoints,
                minErrors, latencyRatio, positive(c, base + ".latency-floor"), allow,
                choice(c, base + ".on-deadline", CanarySettings.OnDeadline.class));
    }

    private static ShadowSettings shadow(Config c, String base) {
        int percent;
        try {
            percent = ShadowSettings.parseShare(c.getString(path(base + ".share")));
        } catch (IllegalArgumentException ex) {
            throw bad(c, base + ".share", ex.getMessage());
        }
        return new ShadowSettings(percent, positive(c, base + ".duration"), c.getBoolean(path(base + ".fail-on-errors")),
                atLeast(c, base + ".max-in-flight", 1));
    }

    /** {@code header:NAME=VALUE} or {@code cookie:NAME=VALUE}. */
    private static Canary.Allow allowRule(Config c, String key, String rule) {
        int colon = rule.indexOf(':');
        int eq = rule.indexOf('=', colon + 1);
        String kind = colon < 0 ? "" : rule.substring(0, colon).trim();
        if (!(kind.equals("header") || kind.equals("cookie")) || eq < 0 || eq == colon + 1 || eq == rule.length() - 1) {
            throw bad(c, key, "'" + rule + "' is not header:NAME=VALUE nor cookie:NAME=VALUE");
        }
        return new Canary.Allow(kind.equals("cookie"), rule.substring(colon + 1, eq).trim(), rule.substring(eq + 1).trim());
    }

    private static AppSettings app(Config c, String base, String name, Path stateDir) {
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
            throw bad(c, base.equals("app") ? "app.name" : base,
                    "use letters, digits, '_', '.' and '-' (it names containers), got '" + name + "'");
        }
        ReplicaPorts replicaPorts = replicaPorts(c, base + ".ports");
        List<Integer> ports = replicaPorts.first();
        int replicas = atLeast(c, base + ".replicas", 1);
        try {
            replicaPorts.check(replicas);
        } catch (IllegalArgumentException e) {
            throw bad(c, base + ".ports", e.getMessage() + " (" + path(base + ".replicas") + " is " + replicas + ")");
        }
        Map<String, String> env = new LinkedHashMap<>();
        c.getConfig(path(base + ".env")).root().unwrapped().forEach((k, v) -> env.put(k, String.valueOf(v)));
        String network = c.getString(path(base + ".network")).trim();
        if (network.isEmpty()) {
            throw bad(c, base + ".network", "must be host, bridge or a network name");
        }
        String restart = c.getString(path(base + ".restart"));
        if (!List.of("no", "always", "unless-stopped", "on-failure").contains(restart)) {
            throw bad(c, base + ".restart", "must be no, always, unless-stopped or on-failure, got '" + restart + "'");
        }
        for (String v : c.getStringList(path(base + ".volumes"))) {
            if (v.split(":").length < 2 || v.split(":").length > 3) {
                throw bad(c, base + ".volumes", "'" + v + "' is not HOST_PATH:CONTAINER_PATH[:ro]");
            }
        }
        int containerPort = c.getInt(path(base + ".container-port"));
        if (containerPort < 1 || containerPort > 65_535) {
            throw bad(c, base + ".container-port", "must be a port, got " + containerPort);
        }
        return new AppSettings(
                name,
                choice(c, base + ".runtime", AppSettings.Runtime.class),
                List.copyOf(ports),
                c.getString(path(base + ".image")).trim(),
                List.copyOf(c.getStringList(path(base + ".command"))),
                Map.copyOf(env),
                List.copyOf(c.getStringList(path(base + ".volumes"))),
                network,
                containerPort,
                choice(c, base + ".pull", AppSettings.Pull.class),
                restart,
                positive(c, base + ".stop-timeout"),
                choice(c, base + ".keep-previous", AppSettings.KeepPrevious.class),
                positive(c, base + ".keep-running-for"),
                atLeast(c, base + ".log-lines", 0),
                positive(c, base + ".lock-wait"),
                stateFile(c, base, stateDir, name),
                bake(c, base + ".bake"),
                warmUp(c, base),
                hooks(c, base),
                compose(c, base),
                replicas,
                replicaPorts);
    }

    /**
     * {@code ports}: two different ports, blue then green (replica k of a colour on its port + 2k),
     * or {@code { blue = [...], green = [...] }}, a port per replica of each colour.
     */
    private static ReplicaPorts replicaPorts(Config c, String key) {
        if (c.getValue(path(key)).valueType() == com.typesafe.config.ConfigValueType.OBJECT) {
            Config colours = c.getConfig(path(key));
            java.util.Set<String> names = colours.root().keySet();
            if (!names.equals(java.util.Set.of("blue", "green"))) {
                throw bad(c, key, "must name the ports of blue and green: { blue = [8081, 8083], green = [8082, 8084] }, "
                        + "got the keys " + new java.util.TreeSet<>(names));
            }
            List<Integer> blue;
            List<Integer> green;
            try {
                blue = colours.getIntList("blue");
                green = colours.getIntList("green");
            } catch (com.typesafe.config.ConfigException e) {
                throw bad(c, key, "blue and green must each be a list of ports: " + e.getMessage());
            }
            if (blue.isEmpty() || green.isEmpty()) {
                throw bad(c, key, "blue and green must each list at least one port, got blue " + blue + ", green " + green);
            }
            java.util.Set<Integer> all = new java.util.HashSet<>();
            for (int p : java.util.stream.Stream.concat(blue.stream(), green.stream()).toList()) {
                if (p < 1 || p > 65_535 || !all.add(p)) {
                    throw bad(c, key, "must be different ports (1 to 65535), got blue " + blue + ", green " + green);
                }
            }
            return new ReplicaPorts(blue, green, true);
        }
        List<Integer> ports = c.getIntList(path(key));
        if (ports.size() != 2 || ports.get(0).equals(ports.get(1))
                || ports.stream().anyMatch(p -> p < 1 || p > 65_535)) {
            throw bad(c, key, "must be two different ports (blue, green), or { blue = [...], green = [...] }, got "
                    + ports);
        }
        return ReplicaPorts.stride(ports.get(0), ports.get(1));
    }

    /** {@code compose} of an app: a file (relative: to the working directory cutover starts in) and its service. */
    private static ComposeSettings compose(Config c, String base) {
        String file = c.getString(path(base + ".compose.file")).trim();
        String service = c.getString(path(base + ".compose.service")).trim();
        String project = c.getString(path(base + ".compose.project")).trim();
        int port = c.getInt(path(base + ".compose.port"));
        if (port < 0 || port > 65_535) {
            throw bad(c, base + ".compose.port", "must be 0 (the service's expose) or a port, got " + port);
        }
        if (file.isEmpty()) {
            if (!service.isEmpty() || !project.isEmpty()) {
                throw bad(c, base + ".compose", "names a service or project but no file: set compose.file too");
            }
            return ComposeSettings.NONE;
        }
        if (choice(c, base + ".runtime", AppSettings.Runtime.class) != AppSettings.Runtime.DOCKER) {
            throw bad(c, base + ".compose.file", "a compose service runs in containers: set runtime = docker");
        }
        if (service.isEmpty()) {
            throw bad(c, base + ".compose.service", "is missing: name the service of " + file + " that cutover deploys");
        }
        try {
            return new ComposeSettings(Path.of(file).toAbsolutePath().normalize().toString(), service, project, port);
        } catch (java.nio.file.InvalidPathException e) {
            throw bad(c, base + ".compose.file", "is not a path: " + e.getMessage());
        }
    }

    private static WarmUpSettings warmUp(Config c, String base) {
        try {
            return WarmUpSettings.parse(c.getString(path(base + ".warm-up")), c.getBoolean(path(base + ".warm-up-queries")));
        } catch (IllegalArgumentException e) {
            throw bad(c, base + ".warm-up", e.getMessage());
        }
    }

    private static Path stateFile(Config c, String base, Path stateDir, String app) {
        String configured = c.getString(path(base + ".state-file")).trim();
        return configured.isEmpty() ? stateDir.resolve(app + ".json") : stateDir.resolve(configured);
    }

    private static <E extends Enum<E>> E choice(Config c, String key, Class<E> type) {
        String value = c.getString(path(key));
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            String options = String.join(", ", java.util.Arrays.stream(type.getEnumConstants())
                    .map(o -> o.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
            throw bad(c, key, "must be one of " + options + ", got '" + value + "'");
        }
    }

    private static long bodyLimit(Config c) {
        long n = c.getBytes(path("limits.max-body-size"));
        if (n < 0) {
            throw bad(c, "limits.max-body-size", "must be 0 (no limit) or a size, got " + n);
        }
        return n;
    }

    private static long minBodyRate(Config c) {
        long n = c.getBytes(path("limits.min-body-rate"));
        if (n < 0) {
            throw bad(c, "limits.min-body-rate", "must be 0 (off) or a size per second, got " + n);
        }
        return n;
    }

    private static TrustedProxies trusted(Config c) {
        try {
            return TrustedProxies.parse(c.getStringList(path("trusted-proxies")));
        } catch (IllegalArgumentException e) {
            throw bad(c, "trusted-proxies", e.getMessage());
        }
    }

    private static Target target(Config c, String key) {
        try {
            return Target.parse(c.getString(path(key)));
        } catch (IllegalArgumentException e) {
            throw bad(c, key, e.getMessage());
        }
    }

    private static InetSocketAddress address(Config c, String key) {
        try {
            return Target.parseBindAddress(c.getString(path(key)));
        } catch (IllegalArgumentException e) {
            throw bad(c, key, e.getMessage());
        }
    }

    private static String healthPath(Config c, String key) {
        String value = c.getString(path(key));
        if (!value.startsWith("/") || value.chars().anyMatch(ch -> ch <= ' ')) {
            throw bad(c, key, "must start with / and contain no spaces, got '" + value + "'");
        }
        return value;
    }

    /** A bake's length: off (or 0: no bake), or a duration. */
    private static Duration bake(Config c, String key) {
        if (c.getValue(path(key)).valueType() == ConfigValueType.STRING && c.getString(path(key)).trim().equals("off")) {
            return Duration.ZERO;
        }
        try {
            return notNegative(c, key);
        } catch (ConfigException.BadValue | ConfigException.WrongType e) {
            throw bad(c, key, "must be off or a duration like 5m, got " + c.getValue(path(key)).unwrapped());
        }
    }

    private static Duration notNegative(Config c, String key) {
        Duration d = c.getDuration(path(key));
        if (d.isNegative()) {
            throw bad(c, key, "must not be negative, got " + c.getValue(path(key)).unwrapped());
        }
        return d;
    }

    private static Duration positive(Config c, String key) {
        Duration d = c.getDuration(path(key));
        if (d.isNegative() || d.isZero()) {
            throw bad(c, key, "must be more than zero, got " + c.getValue(path(key)).unwrapped());
        }
        return d;
    }

    /** A count of connections, or "unlimited" (as many as the load has needed). */
    private static int idlePerLoop(Config c) {
        String key = "pool.max-idle-per-loop";
        if (c.getValue(path(key)).valueType() == ConfigValueType.STRING
                && c.getString(path(key)).equals("unlimited")) {
            return Integer.MAX_VALUE;
        }
        try {
            return atLeast(c, key, 0);
        } catch (ConfigException.WrongType e) {
            throw bad(c, key, "must be a number or unlimited, got " + c.getValue(path(key)).unwrapped());
        }
    }

    private static int atLeast(Config c, String key, int min) {
        int n = c.getInt(path(key));
        if (n < min) {
            throw bad(c, key, "must be at least " + min + ", got " + n);
        }
        return n;
    }

    private static int bytes(Config c, String key) {
        long n = c.getBytes(path(key));
        if (n < 256 || n > 1 << 20) {
            throw bad(c, key, "must be between 256 bytes and 1MiB, got " + n);
        }
        return (int) n;
    }

    /** The access log's buffer: room for many lines, and never a large part of the heap. */
    private static long accessLogBuffer(Config c) {
        long n = c.getBytes(path("access-log.buffer"));
        long heap = Runtime.getRuntime().maxMemory();
        if (n < 64 << 10 || n > heap / 4) {
            throw bad(c, "access-log.buffer", "must be between 64KiB and a quarter of the heap (-Xmx, "
                    + (heap >> 20) + "MiB here), got " + n);
        }
        return n;
    }

    private static ConfigError bad(Config c, String key, String why) {
        return new ConfigError("invalid value at '" + path(key) + "' ("
                + c.getValue(path(key)).origin().description() + "): " + why);
    }

    private static String path(String key) {
        return ROOT + "." + key;
    }

    /** Quotes a path element that HOCON would otherwise split or misread. */
    private static String quote(String element) {
        return element.matches("[A-Za-z0-9_-]+") ? element : "\"" + element.replace("\"", "\\\"") + "\"";
    }
}
