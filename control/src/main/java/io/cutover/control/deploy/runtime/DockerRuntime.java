package io.cutover.control.deploy.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.cutover.control.config.AppSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs versions of the app as Docker containers, one per replica, named {@code APP-COLOUR} (the
 * first replica), {@code APP-COLOUR-2}, {@code APP-COLOUR-3}, ..., labelled with the app, colour,
 * image, deploy id, replica number and owner (see {@link Owner}), with {@code init}, the app's env plus
 * {@code PORT}, its volumes, restart policy and stop timeout. With host networking the app
 * listens on 127.0.0.1:PORT; otherwise its container port is published on 127.0.0.1 at the
 * colour's port. Another cutover's containers of an app with the same name (on the same engine)
 * are never touched: not removed, not renamed; while one of them holds the name
 * {@code APP-COLOUR}, this cutover's container of that colour is named {@code APP-COLOUR-OWNER}.
 * A release of a compose file's service runs as that service describes it (see {@link ServiceSpecs}),
 * in the service's project, its healthcheck awaited beside cutover's health check.
 */
public final class DockerRuntime implements AppRuntime {
    static final String LABEL_APP = "io.cutover.app";
    static final String LABEL_COLOUR = "io.cutover.colour";
    static final String LABEL_IMAGE = "io.cutover.image";
    static final String LABEL_DEPLOY = "io.cutover.deploy-id";
    /** Which replica of its version a container is, counting from 1. */
    static final String LABEL_REPLICA = "io.cutover.replica";
    private static final Logger log = LoggerFactory.getLogger(DockerRuntime.class);
    /** How often a candidate's healthcheck status is read while it is awaited. */
    private static final Duration READY_POLL = Duration.ofMillis(250);

    private final AppSettings app;
    private final String owner;
    private final DockerClient docker;
    private final ServiceSpecs services;
    /** Untagged containers of this app's name already named in the log (once is enough). */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    public DockerRuntime(AppSettings app, DockerClient docker) {
        this(app, docker, ServiceSpecs.NONE);
    }

    /** @param services reads the services of compose files that releases name */
    public DockerRuntime(AppSettings app, DockerClient docker, ServiceSpecs services) {
        this.app = app;
        this.owner = Owner.ofStateFile(app.stateFile());
        this.docker = docker;
        this.services = services;
    }

    /** A client for the engine named by DOCKER_HOST (default: the local socket). */
    public static DockerClient connect() {
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofMinutes(5))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    @Override
    public String kind() {
        return "docker";
    }

    @Override
    public Instance start(Release release, Colour colour, List<Integer> ports, String deployId) {
        ContainerSpec spec = spec(release);
        String image = spec.image();
        ensureImage(image);
        List<Instance.Replica> started = new ArrayList<>();
        try {
            for (int k = 0; k < ports.size(); k++) {
                started.add(startReplica(spec, release, colour, ports.get(k), k, deployId));
            }
        } catch (RuntimeException e) {
            started.forEach(r -> removeQuietly(r.handle()));
            throw e;
        }
        return Instance.of(colour, release.running(image, List.of()), deployId, started);
    }

    /** Creates and starts replica {@code k}'s container ({@code APP-COLOUR}, {@code APP-COLOUR-2}, ...). */
    private Instance.Replica startReplica(ContainerSpec spec, Release release, Colour colour, int port, int k,
                                          String deployId) {
        String image = spec.image();
        String name = containerName(colour, k);
        Map<String, String> env = new LinkedHashMap<>(spec.env());
        env.putAll(release.env());
        int listenPort = spec.hostNetwork() ? port : spec.containerPort();
        if (release.compose() == null || spec.hostNetwork()) {
            // on the host's network each replica of each colour listens on a port of its own
            env.put("PORT", Integer.toString(listenPort));
        } else {
            env.putIfAbsent("PORT", Integer.toString(listenPort));     // the compose file's own, if it sets one
        }
        env.put("CUTOVER_REPLICA", Integer.toString(k + 1));
        List<ContainerSpec.Network> networks = spec.networks();
        HostConfig host = HostConfig.newHostConfig()
                .withInit(spec.init())
                .withNetworkMode(networks.isEmpty() ? spec.networkMode() : networks.get(0).name())
                .withRestartPolicy(RestartPolicy.parse(spec.restart()))
                .withBinds(spec.binds().stream().map(Bind::parse).toList());
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.putAll(Map.of(LABEL_APP, app.name(), LABEL_COLOUR, colour.label(), LABEL_IMAGE, image,
                LABEL_DEPLOY, deployId, LABEL_REPLICA, Integer.toString(k + 1), Owner.LABEL, owner));
        if (release.compose() != null) {
            // compose numbers a service's containers: blue's replicas are its 1, 3, 5..., green's 2, 4, 6...
            labels.put("com.docker.compose.container-number", Integer.toString(colour.ordinal() + 1 + 2 * k));
        }
        CreateContainerCmd create = docker.createContainerCmd(image)
                .withName(name)
                .withLabels(labels)
                .withEnv(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .withStopTimeout((int) Math.max(1, spec.stopTimeout().toSeconds()));
        if (!spec.entrypoint().isEmpty()) {
            create.withEntrypoint(spec.entrypoint());
        }
        if (!spec.command().isEmpty()) {
            create.withCmd(spec.command());
        }
        if (spec.user() != null) {
            create.withUser(spec.user());
        }
        if (spec.workingDir() != null) {
            create.withWorkingDir(spec.workingDir());
        }
        if (spec.stopSignal() != null) {
            create.withStopSignal(spec.stopSignal());
        }
        if (spec.healthcheck() != null) {
            ContainerSpec.Healthcheck h = spec.healthcheck();
            create.withHealthcheck(new HealthCheck().withTest(h.test()).withInterval(nanos(h.interval()))
                    .withTimeout(nanos(h.timeout())).withRetries(h.retries()).withStartPeriod(nanos(h.startPeriod())));
        }
        if (!networks.isEmpty() && !networks.get(0).aliases().isEmpty()) {
            create.withAliases(networks.get(0).aliases());
        }
        if (!spec.hostNetwork()) {
            ExposedPort exposed = ExposedPort.tcp(spec.containerPort());
            Ports bindings = new Ports();
            bindings.bind(exposed, Ports.Binding.bindIpAndPort("127.0.0.1", port));
            create.withExposedPorts(exposed);
            host.withPortBindings(bindings);
        }
        String id = null;
        try {
            id = create.withHostConfig(host).exec().getId();
            for (ContainerSpec.Network n : networks.subList(Math.min(1, networks.size()), networks.size())) {
                docker.connectToNetworkCmd().withContainerId(id).withNetworkId(n.name())
                        .withContainerNetwork(new ContainerNetwork().withAliases(n.aliases())).exec();
            }
            docker.startContainerCmd(id).exec();
            return new Instance.Replica(port, id, Instant.now());
        } catch (RuntimeException e) {
            if (id != null) {
                removeQuietly(id);  // by its id: the name may be another's if the create lost a race for it
            }
            throw new RuntimeFailure("cannot start container " + name + " from " + image + ": " + message(e), e);
        }
    }

    /** What a release runs: a service of its compose file, or the app's settings with the release's image. */
    private ContainerSpec spec(Release release) {
        String image = release.image() == null ? "" : release.image().trim();
        if (release.compose() != null) {
            return services.spec(release.compose(), image, app.containerPort());
        }
        if (image.isEmpty()) {
            image = app.image();
        }
        if (image.isEmpty()) {
            throw new RuntimeFailure("no image to run: name one in the deploy or set cutover.app.image");
        }
        return new ContainerSpec(image, List.of(), List.of(), app.env(), app.volumes(), null, null, Map.of(),
                app.restart(), app.stopTimeout(), null, true, null, List.of(), app.network(), app.containerPort());
    }

    private static Long nanos(Duration d) {
        return d == null ? null : d.toNanos();
    }

    private void ensureImage(String image) {
        boolean present = isPresent(image);
        switch (app.pull()) {
            case NEVER -> {
                if (!present) {
                    throw new RuntimeFailure("image " + image + " is not present and cutover.app.pull is never");
                }
            }
            case IF_MISSING -> {
                if (!present) {
                    pull(image);
                }
            }
            case ALWAYS -> pull(image);
        }
    }

    private boolean isPresent(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private void pull(String image) {
        try {
            if (!docker.pullImageCmd(image).exec(new PullImageResultCallback()).awaitCompletion(10, TimeUnit.MINUTES)) {
                throw new RuntimeFailure("pulling " + image + " took more than 10 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while pulling " + image);
        } catch (RuntimeException e) {
            if (e instanceof RuntimeFailure) {
                throw e;
            }
            throw new RuntimeFailure("cannot pull image " + image + ": " + message(e), e);
        }
    }

    @Override
    public Instance restart(Instance instance) {
        List<Instance.Replica> replicas = new ArrayList<>(instance.replicas());
        for (int k = 0; k < replicas.size(); k++) {
            Instance.Replica r = replicas.get(k);
            try {
                docker.startContainerCmd(r.handle()).exec();
            } catch (NotModifiedException e) {
                // already running
            } catch (NotFoundException e) {
                replicas.set(k, startReplica(spec(instance.release()), instance.release(), instance.colour(), r.port(),
                        k, instance.deployId()));
            }
        }
        return instance.withReplicas(replicas);
    }

    @Override
    public Optional<String> notRunning(Instance instance, int k) {
        Instance replica = instance.single(k);
        Optional<InspectContainerResponse> inspect = inspect(replica);
        if (inspect.isEmpty()) {
            return gone(replica);
        }
        InspectContainerResponse.ContainerState s = inspect.get().getState();
        return Boolean.TRUE.equals(s.getRunning()) && !Boolean.TRUE.equals(s.getRestarting())
                ? Optional.empty() : Optional.of(exited(s));
    }

    /**
     * A candidate its restart policy brought back even once has crashed since it was started: it
     * is not going to pass its health check (a version that restarted once, long after it went
     * live, still runs: see {@link #notRunning}).
     */
    @Override
    public Optional<String> failing(Instance instance, int k) {
        Instance candidate = instance.single(k);
        Optional<InspectContainerResponse> inspect = inspect(candidate);
        if (inspect.isEmpty()) {
            return gone(candidate);
        }
        InspectContainerResponse.ContainerState s = inspect.get().getState();
        Integer restarts = inspect.get().getRestartCount();
        if (Boolean.TRUE.equals(s.getRestarting()) || restarts != null && restarts > 0) {
            return Optional.of("keeps exiting (last exit code " + s.getExitCodeLong() + ", restarted "
                    + (restarts == null ? "?" : restarts) + " times)");
        }
        if (!Boolean.TRUE.equals(s.getRunning())) {
            return Optional.of(exited(s));
        }
        return candidate.release().compose() != null && s.getHealth() != null
                && "unhealthy".equals(s.getHealth().getStatus()) ? Optional.of(unhealthy(s)) : Optional.empty();
    }

    /**
     * A compose service's healthcheck, an extra readiness signal: waits until Docker reports the
     * candidate healthy, for as long as the healthcheck itself may take to say.
     */
    @Override
    public Duration awaitReady(Instance instance, int k) throws InterruptedException {
        Instance candidate = instance.single(k);
        long start = System.nanoTime();
        if (candidate.release().compose() == null) {
            return Duration.ZERO;
        }
        for (;;) {
            InspectContainerResponse r = inspect(candidate).orElseThrow(() -> new RuntimeFailure(gone(candidate).get()));
            InspectContainerResponse.ContainerState s = r.getState();
            HealthCheck check = r.getConfig() == null ? null : r.getConfig().getHealthcheck();
            if (s.getHealth() == null || check == null) {
                return Duration.ofNanos(System.nanoTime() - start);     // none
            }
            if ("healthy".equals(s.getHealth().getStatus())) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (!Boolean.TRUE.equals(s.getRunning())) {
                throw new RuntimeFailure(exited(s) + " before its healthcheck passed");
            }
            if ("unhealthy".equals(s.getHealth().getStatus())) {
                throw new RuntimeFailure(unhealthy(s));
            }
            Duration within = new ContainerSpec.Healthcheck(List.of(), duration(check.getInterval()),
                    duration(check.getTimeout()), check.getRetries() == null ? 0 : check.getRetries(),
                    duration(check.getStartPeriod())).verdictWithin();
            if (System.nanoTime() - start > within.toNanos()) {
                throw new RuntimeFailure("passed cutover's health check, but its healthcheck did not report healthy "
                        + "within " + within.toSeconds() + " s (status " + s.getHealth().getStatus() + ")");
            }
            Thread.sleep(READY_POLL.toMillis());
        }
    }

    private static Duration duration(Long nanos) {
        return nanos == null ? null : Duration.ofNanos(nanos);
    }

    private static String unhealthy(InspectContainerResponse.ContainerState s) {
        List<com.github.dockerjava.api.command.HealthStateLog> log = s.getHealth().getLog();
        String last = log == null || log.isEmpty() || log.get(log.size() - 1).getOutput() == null ? ""
                : ": " + log.get(log.size() - 1).getOutput().strip();
        return "is unhealthy by its healthcheck" + last;
    }

    private Optional<InspectContainerResponse> inspect(Instance instance) {
        try {
            return Optional.of(docker.inspectContainerCmd(instance.handle()).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private static String exited(InspectContainerResponse.ContainerState s) {
        return Boolean.TRUE.equals(s.getRestarting()) ? "is restarting (last exit code " + s.getExitCodeLong() + ")"
                : "exited with code " + s.getExitCodeLong();
    }

    private static Optional<String> gone(Instance instance) {
        return Optional.of("is gone (container " + shortId(instance.handle()) + " no longer exists)");
    }

    @Override
    public List<String> logs(Instance instance, int k, int lines) {
        List<String> out = new ArrayList<>();
        try {
            docker.logContainerCmd(instance.single(k).handle()).withStdOut(true).withStdErr(true).withTail(lines)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            for (String line : new String(frame.getPayload(), StandardCharsets.UTF_8).split("\n")) {
                                if (!line.isBlank()) {
                                    out.add(line);
                                }
                            }
                        }
                    }).awaitCompletion(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            out.add("(logs unavailable: " + message(e) + ")");
        }
        return out;
    }

    @Override
    public void stop(Instance instance) {
        for (Instance.Replica r : instance.replicas()) {
            try {
                // a compose service's container stops within its own stop_grace_period (its StopTimeout)
                docker.stopContainerCmd(r.handle()).withTimeout(instance.release().compose() != null ? null
                        : (int) Math.max(1, app.stopTimeout().toSeconds())).exec();
            } catch (NotModifiedException | NotFoundException e) {
                // already stopped, or gone
            }
        }
    }

    @Override
    public void remove(Instance instance) {
        for (Instance.Replica r : instance.replicas()) {
            removeQuietly(r.handle());
        }
    }

    @Override
    public List<String> removeAllExcept(Collection<Instance> keep, Collection<Instance> recorded) {
        List<String> removed = new ArrayList<>();
        List<Container> named = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LABEL_APP, app.name())).exec();
        for (Container c : named) {
            if (isOneOf(c.getId(), keep)) {
                continue;
            }
            Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
            String tag = labels.get(Owner.LABEL);
            String what = "container " + String.join(",", c.getNames()) + " (" + c.getImage() + ", deploy "
                    + labels.get(LABEL_DEPLOY) + ")";
            if (owner.equals(tag) || isOneOf(c.getId(), recorded)) {
                if (removeQuietly(c.getId())) {
                    removed.add(what);
                }
            } else if (tag == null && reported.add(c.getId())) {
                log.info("{} of app '{}' has no {} label: an older cutover started it, and this cutover's state does "
                        + "not name it, so it is left alone; remove it if no other cutover runs it",
                        what, app.name(), Owner.LABEL);
            }
            // another owner's: not this cutover's to touch, nor to mention
        }
        return removed;
    }

    private static boolean isOneOf(String containerId, Collection<Instance> instances) {
        return instances.stream().filter(java.util.Objects::nonNull).flatMap(i -> i.replicas().stream())
                .anyMatch(r -> containerId.startsWith(r.handle()));
    }

    /** Removes a container by its id; false if it was gone already. */
    private boolean removeQuietly(String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * The name for this cutover's container of a colour: {@code APP-COLOUR}, moved aside first
     * if one of this cutover's containers holds it (a stopped older version, still a rollback
     * target until the new one is live); {@code APP-COLOUR-OWNER} while a container that is not
     * tagged as this cutover's holds it (another cutover's, or one an older cutover started),
     * which is left as it is.
     */
    private String containerName(Colour colour, int k) {
        String base = app.name() + "-" + colour.label() + (k == 0 ? "" : "-" + (k + 1));
        String name = base;
        Optional<InspectContainerResponse> holder = inspectByName(name);
        if (holder.isPresent() && !isMine(holder.get())) {
            name = name + "-" + owner;
            holder = inspectByName(name);
            if (holder.isPresent() && !isMine(holder.get())) {
                throw new RuntimeFailure("the container name " + name + " is held by a container that is not this "
                        + "cutover's (" + shortId(holder.get().getId()) + ")");
            }
        }
        holder.ifPresent(h -> moveAside(h, base));
        return name;
    }

    private boolean isMine(InspectContainerResponse c) {
        Map<String, String> labels = c.getConfig() == null ? null : c.getConfig().getLabels();
        return labels != null && owner.equals(labels.get(Owner.LABEL));
    }

    private Optional<InspectContainerResponse> inspectByName(String name) {
        try {
            return Optional.of(docker.inspectContainerCmd(name).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** Renames one of this cutover's containers to {@code BASE-DEPLOYID}, freeing its name. */
    private void moveAside(InspectContainerResponse existing, String base) {
        String deploy = existing.getConfig().getLabels().get(LABEL_DEPLOY);
        try {
            docker.renameContainerCmd(existing.getId())
                    .withName(base + "-" + (deploy != null ? deploy : shortId(existing.getId()))).exec();
        } catch (NotFoundException e) {
            // gone meanwhile: the name is free
        }
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.strip();
    }
}
