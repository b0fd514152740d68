package io.cutover.control.deploy;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The threads one app's deployer runs on, all of which may block: the deploy line and its timer
 * ({@link DeployQueue}), the watcher of its versions ({@link io.cutover.control.deploy.state.RunStates})
 * and the writer of its state for what is not a deploy (maintenance, a pause). Each is given to
 * the part that runs on it, which shuts it down when it closes. {@code hookOutput} reads the
 * output of the app's hooks (a thread per hook running, none when idle).
 */
public record DeployThreads(ScheduledExecutorService deploys, ScheduledExecutorService deployTimer,
                            ScheduledExecutorService watcher, ExecutorService stateWriter, ExecutorService hookOutput) {
}
