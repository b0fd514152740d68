package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Makes a Netty buffer leak fail the build. Registered for every test class through JUnit's
 * extension auto-detection (so it is installed before any buffer class loads); the surefire
 * argLine sets leak detection to paranoid, so every buffer is tracked. After each test class it
 * collects garbage, lets the detector look, and fails if anything leaked.
 */
public final class LeakDetection implements AfterAllCallback {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static boolean installed;

    static {
        install();
    }

    /** Tracks every leak report (from now on); idempotent. Child JVMs of tests call it too. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                        long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String type, String records) {
                        LEAKS.add(type + records);
                        super.reportTracedLeak(type, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String type) {
                        LEAKS.add(type);
                        super.reportUntracedLeak(type);
                    }
                };
            }
        });
    }

    /**
     * Collects garbage and lets the detector look at what was collected (it reports when the next
     * buffer is tracked), then returns the leaks reported so far and forgets them.
     */
    public static List<String> collectLeaks() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);   // deliberate: time for the collector's reference processing
            for (int j = 0; j < 64; j++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(16);
                a.release();
                b.release();
            }
        }
        List<String> leaks = List.copyOf(LEAKS);
        LEAKS.clear();
        return leaks;
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            fail("Netty buffers leaked during " + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }
}
