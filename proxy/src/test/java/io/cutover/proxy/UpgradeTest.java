package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WebSocket and other Upgrade requests: 101, then bytes both ways, kept on their backend across a switch. */
class UpgradeTest {
    private static final String UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n";

    private ScriptedBackend echo;
    private TestBackend plain;
    private TestProxy proxy;

    /** Accepts the upgrade and echoes every byte, prefixed with its name. */
    private static void echoScript(Socket s, String name) throws java.io.IOException {
        InputStream in = s.getInputStream();
        String head = ScriptedBackend.readHead(in);
        if (head == null || !head.toLowerCase().contains("upgrade: echo")) {
            return;
        }
        ScriptedBackend.write(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
        int c;
        while ((c = in.read()) != -1) {
            ScriptedBackend.write(s, name + (char) c);
        }
    }

    @BeforeEach
    void start() throws Exception {
        echo = ScriptedBackend.start((s, b) -> echoScript(s, "A"));
        plain = TestBackend.start("plain");
        proxy = TestProxy.start();
        proxy.switchTo(echo.target());
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        plain.close();
        echo.close();
    }

    @Test
    void anAcceptedUpgradeCarriesBytesBothWays() throws Exception {
        try (RawHttp client = new RawHttp(proxy.address())) {
            RawHttp.Response r = client.send(UPGRADE).read();
            assertEquals(101, r.status());
            assertEquals("echo", r.header("upgrade"));
            assertEquals("upgrade", r.header("connection").toLowerCase());
            client.send("x");
            assertEquals("Ax", client.readRaw(2));
            client.send("yz");
            assertEquals("AyAz", client.readRaw(4));
        }
        SwitchAndDrainTest.awaitInFlight(proxy.server().router().active(), 0);
    }

    @Test
    void anUpgradedConnectionStaysOnTheOldBackendAcrossASwitchUntilTheDrainDeadline() throws Exception {
        Backend old = proxy.server().router().active();
        try (RawHttp client = new RawHttp(proxy.address())) {
            assertEquals(101, client.send(UPGRADE).read().status());
            client.send("1");
            assertEquals("A1", client.readRaw(2));

            // 4 s: the checks below surely come before it, even on a busy machine
            CompletableFuture<DrainResult> drain = proxy.switchTo(plain.target(), Duration.ofSeconds(4));
            try (RawHttp other = new RawHttp(proxy.address())) {
                assertEquals("plain", other.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
            client.send("2");
            assertEquals("A2", client.readRaw(2), "still talking to the old backend after the switch");
            assertEquals(1, old.inFlight(), "the drain waits for it");

            DrainResult result = drain.get(10, TimeUnit.SECONDS);
            assertEquals(1, result.inFlight());
            assertEquals(1, result.forced());
            assertTrue(client.closedByPeer(), "closed at the drain deadline");
        }
    }

    @Test
    void anUpgradedConnectionClosedByTheClientEndsItsExchange() throws Exception {
        Backend backend = proxy.server().router().active();
        try (RawHttp client = new RawHttp(proxy.address())) {
            assertEquals(101, client.send(UPGRADE).read().status());
            assertEquals(1, backend.inFlight());
        }
        SwitchAndDrainTest.awaitInFlight(backend, 0);
    }

    @Test
    void anUpgradeTheBackendDeclinesIsAnOrdinaryResponse() throws Exception {
        proxy.switchTo(plain.target());
        try (RawHttp client = new RawHttp(proxy.address())) {
            RawHttp.Response r = client.send(UPGRADE).read();
            assertEquals(200, r.status());
            assertEquals("plain", r.body());
            assertEquals("plain", client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }
}
