package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code cutover status} and {@code cutover upgrade} against a scripted admin API on loopback
 * port 0: each path answers what the test says, once per connection.
 */
class StatusAnswersTest {
    private record Answer(int status, String body) {
    }

    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private ServerSocket server;
    private Thread accepting;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        accepting = new Thread(this::serve, "scripted-admin");
        accepting.setDaemon(true);
        accepting.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        accepting.join(5000);
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5000);
                String head = head(s.getInputStream());
                String path = head.split(" ", 3)[1].split("\\?", 2)[0];
                Answer a = answers.getOrDefault(path, new Answer(404, "{\"status\":404,\"error\":\"no such path\"}"));
                byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 " + a.status() + " X\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (SocketException e) {
                return;     // closed by the test
            } catch (IOException e) {
                // a client that went away: the next one
            }
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed before the head ended");
            }
            head.write(c);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private CliRun run(String command) {
        return CliRun.of(command, "--admin", "127.0.0.1:" + server.getLocalPort(), "--admin-token", "t");
    }

    private static final String STATUS = "{\"name\":\"default\",\"active\":\"127.0.0.1:8081\",\"previous\":null,"
            + "\"previousWarm\":false,\"maintenance\":false,\"paused\":null,\"backends\":[{\"target\":\"127.0.0.1:8081\","
            + "\"state\":\"active\",\"inFlight\":1,\"connections\":2}],\"lastSwitch\":null}";

    @Test
    void statusPrintsTheLoadBalancerLineWhenTheHostHasACheck() {
        answers.put("/v1/status", new Answer(200, STATUS));
        answers.put("/v1/lb", new Answer(200, "{\"path\":\"/lb\",\"in\":true,\"out\":false,\"stopping\":false}"));
        CliRun r = run("status");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("active    127.0.0.1:8081        in-flight 1, connections 2"), r.out());
        assertTrue(r.out().endsWith("lb        in: /lb answers 200" + System.lineSeparator()), r.out());

        answers.put("/v1/lb", new Answer(200, "{\"path\":\"/lb\",\"in\":false,\"out\":true,\"stopping\":false}"));
        assertTrue(run("status").out().contains("lb        OUT: /lb answers 503 while it serves"));
        answers.put("/v1/lb", new Answer(200, "{\"path\":\"/lb\",\"in\":false,\"out\":false,\"stopping\":true}"));
        assertTrue(run("status").out().contains("lb        stopping: /lb answers 503"));
    }

    @Test
    void statusPrintsNoLoadBalancerLineWithoutACheck() {
        answers.put("/v1/status", new Answer(200, STATUS));
        answers.put("/v1/lb", new Answer(409, "{\"status\":409,\"error\":\"no load balancer check\"}"));
        CliRun r = run("status");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("lb "), r.out());
    }

    @Test
    void anErrorAnswerIsPrintedWithItsStatus() {
        answers.put("/v1/status", new Answer(503, "{\"status\":503,\"error\":\"the state is being restored\"}"));
        CliRun r = run("status");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cutover: the state is being restored (HTTP 503)"), r.err());
    }

    @Test
    void anErrorAnswerWithoutAMessageOrNotJsonIsAnUnexpectedAnswer() {
        for (String body : new String[] {"{\"status\":500,\"error\":null}", "{\"status\":500,\"error\":5}",
                "{\"status\":500}", "<html>bad gateway</html>", "", "{\"error\":\"x\"} trailing"}) {
            answers.put("/v1/status", new Answer(502, body));
            CliRun r = run("status");
            assertEquals(1, r.code(), body);
            assertTrue(r.err().contains("unexpected answer from 127.0.0.1:" + server.getLocalPort() + " (HTTP 502)"),
                    body + " -> " + r.err());
        }
    }

    @Test
    void anAnswerThatIsNotAStatusIsRefusedNotPrintedAsAnEmptyOne() {
        for (String body : new String[] {"[]", "\"x\"", "5", "null"}) {
            answers.put("/v1/status", new Answer(200, body));
            CliRun r = run("status");
            assertEquals(1, r.code(), body + " -> " + r.out());
            assertTrue(r.err().contains("unexpected answer"), body + " -> " + r.err());
            assertEquals("", r.out(), body);
        }
    }

    @Test
    void upgradePrintsBothProcessesAndAcceptsAnAnswerThatNamesNone() {
        answers.put("/v1/upgrade", new Answer(200, "{\"from\":1234,\"to\":5678}"));
        CliRun r = run("upgrade");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("upgraded: pid 5678 took over from pid 1234"), r.out());

        answers.put("/v1/upgrade", new Answer(200, "{}"));
        r = run("upgrade");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("upgraded (the running cutover did not say which processes)"), r.out());

        answers.put("/v1/upgrade", new Answer(503, "{\"status\":503,\"error\":\"the new process did not take over\"}"));
        r = run("upgrade");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("upgrade failed: the new process did not take over (HTTP 503)"), r.err());
    }
}
