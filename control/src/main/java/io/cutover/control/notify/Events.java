package io.cutover.control.notify;

/**
 * Where {@link Event}s go. Publishing never blocks the caller for long and never throws: a
 * notification that cannot be delivered must not fail or delay a deploy.
 */
@FunctionalInterface
public interface Events {
    /** Events that go nowhere. */
    Events NONE = e -> { };

    void publish(Event event);
}
