package io.cutover.control.takeover;

/**
 * The words of the takeover conversation, one line each (the descriptors travel on their own,
 * asked for with {@link #LISTENERS}):
 * <pre>
 * new: takeover PID          old: ok REUSEPORT CLIENTS ADMIN CONFIGURED CONFIGURED | refused WHY (and closes)
 * new: listeners             old: (two descriptors: clients, admin)
 * new: ready | failed WHY    old: bye (after it stopped accepting)
 * </pre>
 */
final class Line {
    static final String TAKEOVER = "takeover";
    static final String OK = "ok";
    static final String REFUSED = "refused";
    static final String LISTENERS = "listeners";
    static final String READY = "ready";
    static final String FAILED = "failed";
    static final String BYE = "bye";

    private Line() {
    }

    /** The first word of a line. */
    static String verb(String line) {
        int sp = line.indexOf(' ');
        return sp < 0 ? line : line.substring(0, sp);
    }

    /** What follows the first word ("" if nothing). */
    static String rest(String line) {
        int sp = line.indexOf(' ');
        return sp < 0 ? "" : line.substring(sp + 1);
    }
}
