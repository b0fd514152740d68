package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What a cutover process sets of Netty before Netty starts: only what the command line left unset. */
class NettyDefaultsTest {
    @Test
    void aCutoverProcessTurnsNettysBufferEventsAndLeakDetectionOffUnlessTheCommandLineSaysOtherwise() {
        String jfr = System.getProperty("io.netty.jfr.enabled");
        String leak = System.getProperty("io.netty.leakDetection.level");
        try {
            System.clearProperty("io.netty.jfr.enabled");
            System.clearProperty("io.netty.leakDetection.level");
            Main.nettyDefaults();
            assertEquals("false", System.getProperty("io.netty.jfr.enabled"));
            assertEquals("disabled", System.getProperty("io.netty.leakDetection.level"));

            System.setProperty("io.netty.jfr.enabled", "true");
            System.setProperty("io.netty.leakDetection.level", "paranoid");
            Main.nettyDefaults();
            assertEquals("true", System.getProperty("io.netty.jfr.enabled"));
            assertEquals("paranoid", System.getProperty("io.netty.leakDetection.level"));
        } finally {
            restore("io.netty.jfr.enabled", jfr);
            restore("io.netty.leakDetection.level", leak);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
