package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.Timeout(150)     // past its own 90 s bound, so that bound is what fails
class SwitchUnderLoadTest {
    private static final int CLIENTS = 4;
    private static final int SWITCHES = 200;
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(90);

    /** A request as a client saw it: when it was sent, when it was answered, and by whom. */
    private record Sample(long sentNanos, long doneNanos, String servedBy) {
    }

    /** A switch as the operator saw it: when it was asked for, when it returned, to whom. */
    private record Flip(long askedNanos, long returnedNanos, String to) {
    }

    @Test
    void twoHundredSwitchesUnderKeepAliveLoadFailNoRequestAndNothingReachesTheOldBackendAfterItsSwitch()
            throws Exception {
        try (TestBackend blue = TestBackend.start("blue"); TestBackend green = TestBackend.start("green");
             TestCutover cutover = TestCutover.start("cutover.target", blue.target().toString(),
                     "cutover.health.interval", "1ms")) {
            InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", cutover.proxyUri("/").getPort());
            ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch done = new CountDownLatch(CLIENTS);
            long start = System.nanoTime();

            for (int c = 0; c < CLIENTS; c++) {
                Thread client = new Thread(() -> {
                    try (RawHttp raw = new RawHttp(proxy)) {
                        while (running.get() && System.nanoTime() - start < MAX_NANOS) {
                            long sent = System.nanoTime();
                            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read();
                            if (r.status() != 200) {
                                failures.add("status " + r.status() + ": " + r.body());
                            }
                            samples.add(new Sample(sent, System.nanoTime(), r.body()));
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    } finally {
                        done.countDown();
                    }
                }, "load-" + c);
                client.start();
            }

            List<Flip> flips = new ArrayList<>();
            TestBackend[] order = {green, blue};
            for (int i = 0; i < SWITCHES && System.nanoTime() - start < MAX_NANOS; i++) {
                TestBackend to = order[i % 2];
                long asked = System.nanoTime();
                HttpResponse<String> r = cutover.switchTo(to.target().toString());
                assertEquals(200, r.statusCode(), r.body());
                flips.add(new Flip(asked, System.nanoTime(), to.name()));
                Thread.sleep(15);   // deliberate: leave room for requests to fall between two switches
            }
            running.set(false);
            assertTrue(done.await(30, TimeUnit.SECONDS), "clients stopped");

            assertEquals(List.of(), List.copyOf(failures), "failed requests");
            assertEquals(SWITCHES, flips.size(), "all switches ran within the time bound");

            // Every request sent after switch k returned and answered before switch k+1 was asked
            // for must have been served by switch k's target.
            int checked = 0;
            List<String> wrong = new ArrayList<>();
            for (Sample s : samples) {
                Flip governing = null;
                Flip next = null;
                for (Flip f : flips) {
                    if (f.returnedNanos() <= s.sentNanos()) {
                        governing = f;
                    } else {
                        next = f;
                        break;
                    }
                }
                if (governing != null && (next == null || s.doneNanos() < next.askedNanos())) {
                    checked++;
                    if (!governing.to().equals(s.servedBy())) {
                        wrong.add("sent " + (s.sentNanos() - governing.returnedNanos()) / 1000 + " us after the switch to "
                                + governing.to() + " but served by " + s.servedBy());
                    }
                }
            }
            assertEquals(List.of(), wrong);
            assertTrue(checked > SWITCHES, "enough requests fell between switches to judge: " + checked);
        }
    }
}
