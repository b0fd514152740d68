package io.cutover.control.config;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The app's deploy hooks: operator commands (each a shell string, run with {@code /bin/sh -c})
 * at points of a deploy, each allowed {@code timeout}. See reference.conf ({@code cutover.app.hooks}).
 *
 * @param commands the configured hooks (a hook not set is absent)
 */
public record HookSettings(Map<Hook, String> commands, Duration timeout) {
    /** Where in a deploy a hook runs; its config key is {@link #key}. */
    public enum Hook {
        /** Before anything is touched (a database migration): failing stops the deploy. */
        PRE_DEPLOY("pre-deploy"),
        /** The candidate is healthy, no traffic yet (a smoke test): failing refuses the switch. */
        PRE_SWITCH("pre-switch"),
        /** Traffic moved to the new version: failing is a warning. */
        POST_SWITCH("post-switch"),
        /** The deploy is done: failing is a warning. */
        POST_DEPLOY("post-deploy"),
        /** A deploy or rollback failed (refused, aborted, rolled back). */
        ON_FAILURE("on-failure");

        private final String key;

        Hook(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public static final HookSettings NONE = new HookSettings(Map.of(), Duration.ofMinutes(5));

    public HookSettings {
        EnumMap<Hook, String> copy = new EnumMap<>(Hook.class);
        copy.putAll(commands);
        commands = java.util.Collections.unmodifiableMap(copy);
    }

    public Optional<String> command(Hook hook) {
        return Optional.ofNullable(commands.get(hook));
    }
}
