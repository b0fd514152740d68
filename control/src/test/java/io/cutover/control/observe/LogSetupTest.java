package io.cutover.control.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** cutover's logging as it was in logback.xml: the console through a queue that never blocks an event loop. */
class LogSetupTest {
    @Test
    void logbackFindsTheSetupAsAServiceAndItIsTheOnlyOne() {
        assertEquals(java.util.List.of(LogSetup.class), ServiceLoader.load(Configurator.class).stream()
                .map(ServiceLoader.Provider::type).toList());
    }

    @Test
    void linesGoToTheConsoleThroughAQueueThatDropsRatherThanBlocks() {
        LoggerContext context = new LoggerContext();
        try {
            LogSetup setup = new LogSetup();
            setup.setContext(context);
            assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, setup.configure(context));
            ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            assertEquals(Level.INFO, root.getLevel());
            assertEquals(Level.WARN, context.getLogger("io.netty").getLevel());
            assertEquals(Level.WARN, context.getLogger("io.netty.channel.uring.IoUringIoHandler").getEffectiveLevel());
            assertEquals(Level.INFO, context.getLogger("io.cutover.control.Cutover").getEffectiveLevel());
            AsyncAppender out = (AsyncAppender) root.getAppender("OUT");
            assertNotNull(out);
            assertTrue(out.isStarted());
            assertEquals(8192, out.getQueueSize());
            assertEquals(0, out.getDiscardingThreshold());
            assertTrue(out.isNeverBlock());
            ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) out.getAppender("CONSOLE");
            assertNotNull(console);
            assertTrue(console.isStarted());
            assertEquals("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} %msg%n",
                    ((PatternLayoutEncoder) console.getEncoder()).getPattern());
            assertNotNull(context.getObject(CoreConstants.SHUTDOWN_HOOK_THREAD), "the queue is flushed on exit");
        } finally {
            Object hook = context.getObject(CoreConstants.SHUTDOWN_HOOK_THREAD);
            if (hook instanceof Thread t) {
                Runtime.getRuntime().removeShutdownHook(t);
            }
            context.stop();
        }
    }

    @Test
    void aConfigurationFileNamedOnTheCommandLineWins() {
        String was = System.getProperty("logback.configurationFile");
        System.setProperty("logback.configurationFile", "/etc/cutover/logback.xml");
        LoggerContext context = new LoggerContext();
        try {
            LogSetup setup = new LogSetup();
            setup.setContext(context);
            assertEquals(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY, setup.configure(context));
            assertNull(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT"));
            assertFalse(context.getLogger("io.netty").getLevel() == Level.WARN);
        } finally {
            if (was == null) {
                System.clearProperty("logback.configurationFile");
            } else {
                System.setProperty("logback.configurationFile", was);
            }
            context.stop();
        }
    }
}
