package io.cutover.control.admin;


/** This process's user, as the kernel reports a peer's (SO_PEERCRED). */
public final class Peer {
    private Peer() {
    }

    /** The real uid ({@code /proc/self} belongs to root for a process that is not dumpable, say with file capabilities). */
    public static int ownUid() {
        return (int) new com.sun.security.auth.module.UnixSystem().getUid();
    }

    /** Whether a peer of this uid may use a socket of this process: this process's user, or root. */
    public static boolean trusted(int peerUid) {
        return peerUid == 0 || peerUid == ownUid();
    }
}
