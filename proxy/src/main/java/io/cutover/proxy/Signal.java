package io.cutover.proxy;

/** Markers the decoders pass along with heads and body parts. */
enum Signal {
    /** The first bytes of a request head arrived, and not yet the rest: from now on it is timed. */
    HEAD_STARTED,
    /** The message's body ended, and nothing followed it on the connection. */
    BODY_END,
    /** The response's body ended, and bytes followed it: the connection's state is unknown, it is not reused. */
    BODY_END_WITH_LEFTOVERS
}
