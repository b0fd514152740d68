package io.cutover.proxy;

import java.net.InetSocketAddress;

/** An address could not be bound; the message names it and the reason, in one line. */
public final class ListenFailure extends RuntimeException {
    public ListenFailure(String what, InetSocketAddress address, Throwable cause) {
        this(what, address.getAddress().getHostAddress() + ":" + address.getPort(), cause);
    }

    public ListenFailure(String what, String where, Throwable cause) {
        super("cannot listen on " + where + " (" + what + "): " + reason(cause), cause);
    }

    /** The operating system's words ("Address already in use"), without Netty's call prefix. */
    private static String reason(Throwable cause) {
        String m = cause.getMessage();
        if (m == null) {
            return cause.getClass().getSimpleName();
        }
        // "bind(..) failed with error(-98): Address already in use"
        int failed = m.indexOf(" failed");
        int colon = failed < 0 ? -1 : m.indexOf(": ", failed);
        return colon >= 0 ? m.substring(colon + 2) : m;
    }
}
