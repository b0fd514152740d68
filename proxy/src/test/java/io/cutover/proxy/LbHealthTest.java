package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LbHealthTest {
    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp();
    private LbHealth health;

    @BeforeEach
    void start() throws Exception {
        health = new LbHealth("/lb/health");
        proxied.proxy().server().router().lbHealth(health);
    }

    @Test
    void theCheckIsAnsweredByTheProxyItselfAndEverythingElseReachesTheApp() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("GET /lb/health HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("ok\n", r.body());
            assertEquals(200, raw.send("GET /lb/health?from=alb HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
            assertEquals("app", raw.send("GET /lb/healthz HTTP/1.1\r\nHost: x\r\n\r\n").read().body());
            assertEquals("app", raw.send("POST /lb/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").read().body());
        }
        assertEquals(2, proxied.app().requests(), "the checks never reached the app");
    }

    @Test
    void onceStoppingTheCheckFails503AndClosesItsConnectionWhileRequestsAreServedAsBefore() throws Exception {
        health.stopping();
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().body());
            RawHttp.Response r = raw.send("GET /lb/health HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(503, r.status());
            assertTrue(raw.closedByPeer(), "the balancer's next check comes on a new connection");
        }
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            assertEquals("app", raw.send("GET /orders HTTP/1.1\r\nHost: x\r\n\r\n").read().body());
        }
    }

    @Test
    void aHostTakenOutFailsItsCheckWhileServingAndAnswersOkOnceItJoinsAgainEachAnswerCounted() throws Exception {
        health.leave();
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("GET /lb/health HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(503, r.status());
            assertEquals("out of rotation\n", r.body());
            assertTrue(raw.closedByPeer(), "the balancer's next check comes on a new connection");
        }
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().body(), "it serves on");
        }
        health.join();
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            assertEquals(200, raw.send("GET /lb/health HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
        }
        assertEquals(1, health.answeredDown());
        assertEquals(1, health.answeredUp());
        health.leave();
        health.stopping();
        health.join();
        assertEquals(false, health.isUp(), "joining does not undo a stop");
    }
}
