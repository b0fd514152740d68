package io.cutover.control.canary;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The hand on a running canary: {@code cutover canary promote|abort|set PERCENT}. Commands wait
 * here until the canary's thread takes them; with no canary running they are refused.
 */
public final class Steering {
    /** What an operator asked: promote now, abort now, or move the share to {@code percent}. */
    public record Command(Kind kind, int percent) {
        public enum Kind { PROMOTE, ABORT, SET }
    }

    /** No canary is running to take the command. */
    public static final class NoCanaryException extends Exception {
        public NoCanaryException(String message) {
            super(message);
        }
    }

    private final LinkedBlockingQueue<Command> commands = new LinkedBlockingQueue<>();
    private volatile boolean running;

    /** Passes a command to the running canary. */
    public void send(String app, Command c) throws NoCanaryException {
        if (!running) {
            throw new NoCanaryException("app " + app + " has no canary running");
        }
        commands.add(c);
    }

    void running(boolean r) {
        running = r;
        commands.clear();
    }

    /** The next command within {@code wait}, or null. */
    Command next(Duration wait) throws InterruptedException {
        return commands.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    }
}
