package io.cutover.control.takeover;


/** This process's user, as the kernel reports a peer's (SO_PEERCRED). */
final class Peer {
    private Peer() {
    }

    /** The real uid ({@code /proc/self} belongs to root for a process that is not dumpable, say with file capabilities). */
    static int ownUid() {
        return (int) new com.sun.security.auth.module.UnixSystem().getUid();
    }
}
