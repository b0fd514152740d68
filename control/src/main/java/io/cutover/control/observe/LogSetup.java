package io.cutover.control.observe;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.hook.DefaultShutdownHook;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.util.ContextUtil;
import org.slf4j.Logger;

/**
 * cutover's logging, set up in code (Logback finds it through META-INF/services): lines
 * {@code 2026-12-05T07:32:58.409Z INFO  ProxyServer ...} on standard output, Netty at WARN, the
 * rest at INFO. Event loops log too (a switch's drain ends on one): they only queue the line, a
 * thread of the appender writes it, and a full queue drops lines rather than stall traffic. On
 * exit the queued lines are written before the JVM goes.
 *
 * <p>In code rather than logback.xml: reading XML cost a starting process about 450 classes
 * (Logback's configuration model and the JDK's XML parser; 5,157 -> 4,713 at a serve start), a
 * tenth of the classes a {@code cutover serve} loads, on the path of every start and upgrade. A file named with
 * {@code -Dlogback.configurationFile} still wins: then this steps aside.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} %msg%n";
    static final int QUEUE = 8192;

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;     // the file named wins (Joran reads it)
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("CONSOLE");
        console.setEncoder(encoder);
        console.start();
        AsyncAppender out = new AsyncAppender();
        out.setContext(context);
        out.setName("OUT");
        out.setQueueSize(QUEUE);
        out.setDiscardingThreshold(0);
        out.setNeverBlock(true);
        out.addAppender(console);
        out.start();
        context.getLogger("io.netty").setLevel(Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(out);
        DefaultShutdownHook hook = new DefaultShutdownHook();
        hook.setContext(context);
        new ContextUtil(context).addOrReplaceShutdownHook(hook);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
