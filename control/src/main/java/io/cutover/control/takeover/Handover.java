package io.cutover.control.takeover;

/**
 * What the running cutover gives to one taking over, in three steps: an offer (its apps are
 * held still: no switch, deploy or reload until the takeover ends), then either
 * {@link #complete} (the new process accepts: this one stops accepting and drains) or
 * {@link #abandon} (the new process failed: this one goes on as if nothing happened).
 */
public interface Handover {

    /** The listeners on offer; or a refusal (an app is deploying, the transport cannot hand over). */
    sealed interface Offer {
    }

    /**
     * @param clients   the client listener's descriptor
     * @param admin     the admin listener's descriptor
     * @param reusePort whether both were bound with SO_REUSEPORT (a new process may bind beside them)
     * @param addresses their addresses, and whether each is the configured one ("HOST:PORT HOST:PORT true
     *                  false"), for the new process to compare with its own config
     */
    record Sockets(int clients, int admin, boolean reusePort, String addresses) implements Offer {
    }

    record Refusal(String why) implements Offer {
    }

    /**
     * Holds the apps still and offers the listeners to process {@code pid}. Must not block: it
     * runs on the socket's loop.
     */
    Offer offer(int pid);

    /** The new process failed before it accepted: everything goes back in service. */
    void abandon(int pid, String why);

    /** The new process accepts: stop accepting (it may block). */
    void complete(int newPid);

    /** The new process was told that this one stopped accepting: this one may drain and stop now. */
    void handedOver(int newPid);
}
