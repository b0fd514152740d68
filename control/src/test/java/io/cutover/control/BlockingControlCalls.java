package io.cutover.control;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Teaches BlockHound (see NoBlockingOnEventLoops) what blocks in the control plane although no
 * JDK call it knows shows it: the runtimes talk to Docker through a native socket library and
 * read /proc through native code, the state store fsyncs, and resolving a host name asks the system resolver.
 * Any of them called on an event loop fails the test that did it.
 */
public final class BlockingControlCalls implements BlockHoundIntegration {
    private static final String INSTANCE = "Lio/cutover/control/deploy/runtime/Instance;";

    @Override
    public void applyTo(BlockHound.Builder builder) {
        for (String runtime : new String[] {"io.cutover.control.deploy.runtime.DockerRuntime",
                "io.cutover.control.deploy.runtime.ProcessRuntime"}) {
            // a replica of an instance: what the instance-wide defaults of AppRuntime call, each in turn
            builder.markAsBlocking(runtime, "notRunning", "(" + INSTANCE + "I)Ljava/util/Optional;");
            builder.markAsBlocking(runtime, "start", "(Lio/cutover/control/deploy/runtime/Release;"
                    + "Lio/cutover/control/deploy/runtime/Colour;Ljava/util/List;Ljava/lang/String;)" + INSTANCE);
            builder.markAsBlocking(runtime, "restart", "(" + INSTANCE + ")" + INSTANCE);
            builder.markAsBlocking(runtime, "stop", "(" + INSTANCE + ")V");
            builder.markAsBlocking(runtime, "remove", "(" + INSTANCE + ")V");
            builder.markAsBlocking(runtime, "logs", "(" + INSTANCE + "II)Ljava/util/List;");
            builder.markAsBlocking(runtime, "removeAllExcept", "(Ljava/util/Collection;)Ljava/util/List;");
            builder.markAsBlocking(runtime, "removeAllExcept",
                    "(Ljava/util/Collection;Ljava/util/Collection;)Ljava/util/List;");
        }
        builder.markAsBlocking("io.cutover.control.deploy.state.StateStore", "load", "()Lio/cutover/control/deploy/state/AppState;");
        builder.markAsBlocking("io.cutover.control.deploy.state.StateStore", "save", "(Lio/cutover/control/deploy/state/AppState;)V");
        // name resolution (the JDK asks the system resolver in native code)
        builder.markAsBlocking("java.net.Inet4AddressImpl", "lookupAllHostAddr", "(Ljava/lang/String;)[Ljava/net/InetAddress;");
        builder.markAsBlocking("java.net.Inet6AddressImpl", "lookupAllHostAddr", "(Ljava/lang/String;)[Ljava/net/InetAddress;");
    }
}
