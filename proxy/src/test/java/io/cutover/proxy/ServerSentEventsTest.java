package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Server-sent events pass through as they are sent, never held back. The backend sends event
 * N+1 only after the client has received event N: a proxy that buffered any part of the stream
 * would leave both sides waiting, and the test fails on its read timeout.
 */
class ServerSentEventsTest {
    private static final int EVENTS = 5;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunked", "close-delimited"})
    void eachEventReachesTheClientBeforeTheBackendSendsTheNext(String framing) throws Exception {
        SynchronousQueue<Integer> received = new SynchronousQueue<>();
        boolean chunked = framing.equals("chunked");
        try (ScriptedBackend events = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                        + (chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n") + "\r\n");
                for (int n = 1; n <= EVENTS; n++) {
                    String event = "data: event " + n + "\n\n";
                    ScriptedBackend.write(s, chunked ? Integer.toHexString(event.length()) + "\r\n" + event + "\r\n" : event);
                    Integer ack = received.poll(15, TimeUnit.SECONDS);
                    if (ack == null || ack != n) {
                        return;     // the client never got it: stop; its read fails the test
                    }
                }
                if (chunked) {
                    ScriptedBackend.write(s, "0\r\n\r\n");
                }
            });
             TestProxy proxy = TestProxy.start();
             RawHttp client = new RawHttp(proxy.address())) {
            proxy.switchTo(events.target());
            client.send("GET /events HTTP/1.1\r\nHost: a\r\nAccept: text/event-stream\r\n\r\n");
            String head = client.readUntil("\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            for (int n = 1; n <= EVENTS; n++) {
                client.readUntil("data: event " + n + "\n\n");
                assertTrue(received.offer(n, 15, TimeUnit.SECONDS), "the backend took the acknowledgement of " + n);
            }
        }
    }
}
