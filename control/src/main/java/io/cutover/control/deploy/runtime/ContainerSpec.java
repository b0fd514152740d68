package io.cutover.control.deploy.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What {@link DockerRuntime} creates a version's container from, whatever describes it (the
 * app's settings, or a service of a compose file): everything but the colour's name, port and
 * cutover's own labels, which the runtime adds.
 *
 * @param entrypoint  empty: the image's
 * @param command     empty: the image's
 * @param env         the container's environment; {@code PORT} is added when it has none
 * @param binds       Docker's {@code SOURCE:TARGET[:MODE]} (a source not starting with / is a named volume)
 * @param user        null: the image's
 * @param workingDir  null: the image's
 * @param labels      labels beside cutover's own
 * @param restart     Docker's restart policy ({@code no}, {@code always}, {@code on-failure:3}, ...)
 * @param stopSignal  null: the image's
 * @param healthcheck null: the image's; {@code test = [NONE]}: none
 * @param networks    the networks it joins, the first at its creation; empty: the one {@code networkMode} names
 * @param networkMode {@code host} (the app listens on 127.0.0.1:PORT) or a network; ignored when {@code networks} is not empty
 * @param containerPort the port it listens on inside, published on 127.0.0.1 at the colour's port (unless host)
 */
public record ContainerSpec(String image, List<String> entrypoint, List<String> command, Map<String, String> env,
                            List<String> binds, String user, String workingDir, Map<String, String> labels,
                            String restart, Duration stopTimeout, String stopSignal, boolean init,
                            Healthcheck healthcheck, List<Network> networks, String networkMode, int containerPort) {

    public ContainerSpec {
        entrypoint = List.copyOf(entrypoint);
        command = List.copyOf(command);
        env = Map.copyOf(env);
        binds = List.copyOf(binds);
        labels = Map.copyOf(labels);
        networks = List.copyOf(networks);
    }

    /** A network the container joins, reachable there by these names (besides its own). */
    public record Network(String name, List<String> aliases) {
        public Network {
            aliases = List.copyOf(aliases);
        }
    }

    /** Docker's healthcheck: {@code test} as the Engine API takes it ({@code CMD ...}, {@code CMD-SHELL ...}, {@code NONE}). */
    public record Healthcheck(List<String> test, Duration interval, Duration timeout, int retries, Duration startPeriod) {
        public Healthcheck {
            test = List.copyOf(test);
        }

        /**
         * How long Docker may take to call it healthy or unhealthy: its start period and then
         * {@code retries} failed checks in a row (each an interval and a timeout), and one more.
         */
        public Duration verdictWithin() {
            Duration each = orDefault(interval, 30).plus(orDefault(timeout, 30));
            return orDefault(startPeriod, 0).plus(each.multipliedBy(Math.max(retries, 3) + 1L));
        }

        private static Duration orDefault(Duration d, long seconds) {
            return d == null || d.isZero() ? Duration.ofSeconds(seconds) : d;
        }
    }

    public boolean hostNetwork() {
        return networks.isEmpty() && "host".equals(networkMode);
    }
}
