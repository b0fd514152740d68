package io.cutover.control.notify;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Something that happened to an app that people (a chat channel, an audit trail, an operator's
 * hook) may want to hear of: a deploy started or ended, a canary stepped, was held, promoted or
 * aborted, a bake rolled a release back.
 *
 * @param kind       what happened
 * @param app        the app's name
 * @param deployment the deployment's id, or null when the event is not part of one
 * @param text       one line for a human (a chat message)
 * @param details    more, by name (release, candidate, previous, reason...), never secrets
 * @param at         when
 */
public record Event(Kind kind, String app, String deployment, String text, Map<String, String> details, Instant at) {
    public enum Kind {
        DEPLOY_STARTED, DEPLOY_SUCCEEDED, DEPLOY_FAILED,
        CANARY_STEP, CANARY_HELD, CANARY_PROMOTED, CANARY_ABORTED,
        BAKE_PASSED, BAKE_ROLLED_BACK
    }

    public Event {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(text, "text");
        details = Map.copyOf(details);
        Objects.requireNonNull(at, "at");
    }
}
