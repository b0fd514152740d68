package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket activation: cutover takes the listening sockets systemd passes it (LISTEN_FDS), as a
 * small launcher passes them here, and hands them on in a takeover.
 */
@org.junit.jupiter.api.Timeout(120)     // a serve JVM start, which an early read waits through (60 s at most)
class SocketActivationTest {
    @TempDir
    Path dir;

    private Path config(TestBackend app) throws Exception {
        return ServeProcess.config(dir, app, "5s");
    }

    private static RawHttp.Response get(int port) throws Exception {
        return ServeProcess.get(port);
    }

    @Test
    void cutoverServesOnSystemdsSocketsAndAConnectionMadeWhileItStartedIsAnswered() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess serve = ServeProcess.launchActivated("clients,admin", "--config", config(app).toString())) {
            int clients = serve.inheritedPort("clients");
            int admin = serve.inheritedPort("admin");
            // the JVM is starting: the socket listens already, so this waits in its queue
            try (RawHttp early = new RawHttp(new InetSocketAddress("127.0.0.1", clients))) {
                early.readTimeout(60_000);     // the whole start, as long as ServeProcess allows and more
                assertEquals("app", early.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
            serve.awaitLog("admin API listening on /127.0.0.1:" + admin);
            assertTrue(serve.log().contains("proxy listening on /127.0.0.1:" + clients + " (inherited descriptor 3)"),
                    serve.log());
            try (RawHttp a = new RawHttp(new InetSocketAddress("127.0.0.1", admin))) {
                assertEquals(200, a.send("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + TestAdmin.rawHeaders(TestAdmin.token(dir)) + "\r\n").read().status());
            }
            assertEquals(0, serve.terminate(30), serve.log());
        }
    }

    @Test
    void withOnlyAClientSocketTheAdminApiBindsItsConfiguredAddress() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess serve = ServeProcess.launchActivated("web", "--config", config(app).toString(),
                     "--admin", "127.0.0.1:0")) {
            int clients = serve.inheritedPort("web");
            serve.awaitLog("admin API listening on");
            assertEquals("app", get(clients).body());
        }
    }

    @Test
    void aCutoverStartedBySystemdIsTakenOverWithTheSameSockets() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.launchActivated("clients,admin", "--config", config(app).toString())) {
            int clients = old.inheritedPort("clients");
            old.awaitLog("control socket at");
            KeepAliveLoad load = KeepAliveLoad.connectionPerRequest(new InetSocketAddress("127.0.0.1", clients), 3);
            ServeProcess fresh = null;
            try {
                load.awaitRequests(100);
                fresh = ServeProcess.launch("serve", "--config", dir.resolve("cutover.conf").toString(), "--takeover");
                fresh.awaitLog("took over from pid " + old.process().pid());
                assertTrue(old.process().waitFor(30, TimeUnit.SECONDS), old.log());
                assertEquals(0, old.process().exitValue());
                load.awaitRequests(load.requests() + 100);
            } finally {
                List<String> failures = load.stop();
                if (fresh != null) {
                    fresh.close();
                }
                assertEquals(List.of(), failures);
            }
        }
    }
}
