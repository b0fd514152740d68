package io.cutover.control;

import io.cutover.control.takeover.TakeoverFailure;
import io.cutover.control.takeover.TakeoverClient;
import io.cutover.control.takeover.ControlSocket;
import io.cutover.control.boot.Listeners;
import io.cutover.control.boot.StartupFailure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.config.Settings;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.ScriptedBackend;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestProxy;
import io.cutover.proxy.Transport;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One cutover takes over from another with the same state directory (in one JVM here: the
 * sockets still travel over the control socket as descriptors, and the kernel's accept queues
 * are the real ones), under load: no request fails, and a takeover that fails leaves the running
 * cutover as it was.
 */
class TakeoverTest {
    @TempDir
    Path state;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Settings settings(String target, String... more) {
        Map<String, Object> extra = new HashMap<>();
        for (int i = 0; i < more.length; i += 2) {
            extra.put(more[i], more[i + 1]);
        }
        return settings(target, extra);
    }

    private Settings settings(String target, Map<String, Object> more) {
        Map<String, Object> all = new HashMap<>(Map.of(
                "cutover.listen", "127.0.0.1:0",
                "cutover.admin", "127.0.0.1:0",
                "cutover.event-loops", "2",
                "cutover.transport", TestProxy.transport().toString(),
                "cutover.health.path", "/health",
                "cutover.health.interval", "20ms",
                "cutover.health.deadline", "5s",
                "cutover.drain.deadline", "10s",
                "cutover.state-dir", state.toString()));
        if (target != null) {
            all.put("cutover.target", target);
        }
        all.putAll(more);
        return ConfigLoader.load(Optional.empty(), all);
    }

    private Function<AppSettings, AppRuntime> runtimes = Cutover::runtimeFor;

    private Cutover.Launch launch(Settings s) {
        return new Cutover.Launch(Clock.systemUTC(), runtimes, () -> s, null);
    }

    private Cutover start(Settings s) throws InterruptedException {
        Cutover c = Cutover.start(s, launch(s));
        open.add(c);
        return c;
    }

    private Cutover takeOver(Settings s) throws InterruptedException {
        return takeOver(s, launch(s));
    }

    private Cutover takeOver(Settings s, Cutover.Launch launch) throws InterruptedException {
        Cutover c = Cutover.takeOver(s, launch);
        open.add(c);
        return c;
    }

    private <T extends AutoCloseable> T closing(T t) {
        open.add(t);
        return t;
    }

    /** The transport a cutover taking over runs on: io_uring only where it can bind beside the old listener. */
    private static Transport expectedAfterTakeover(Transport configured) {
        return configured == Transport.IO_URING && Listeners.kernelMigratesQueuedConnections()
                ? Transport.IO_URING : Transport.EPOLL;
    }

    private void takeOverUnder(boolean connectionPerRequest) throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Settings s = settings(app.target().toString());
        Cutover old = start(s);
        InetSocketAddress address = old.proxyAddress();
        KeepAliveLoad load = connectionPerRequest ? KeepAliveLoad.connectionPerRequest(address, 8)
                : KeepAliveLoad.start(address, 8);
        try {
            load.awaitRequests(300);
            // as `cutover serve` does: handed over, it stops (drains: its connections close after
            // their next response), and at once
            java.util.concurrent.CompletableFuture<Void> oldStopped = old.handedOver().thenRunAsync(old::shutdown);

            Cutover fresh = takeOver(s);
            assertEquals(ProcessHandle.current().pid(), (long) old.handedOver().get(10, TimeUnit.SECONDS),
                    "the old cutover was told who took over");
            int before = load.requests();
            oldStopped.get(30, TimeUnit.SECONDS);
            load.awaitRequests(before + 300);

            assertEquals(address.getPort(), fresh.proxyAddress().getPort(), "the same address");
            assertEquals(expectedAfterTakeover(TestProxy.transport()), fresh.transport());
        } finally {
            assertEquals(List.of(), load.stop(), "no request failed across the takeover");
        }
        assertTrue(load.reconnects() >= 8, "the clients' connections moved: " + load.reconnects());
        try (RawHttp raw = new RawHttp(address)) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body(), "the new cutover serves");
        }
    }

    @Test
    void underClientsThatAlwaysHaveARequestInFlightATakeoverFailsNoRequestGetPostOrStreamed() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Settings s = settings(app.target().toString());
        Cutover old = start(s);
        io.cutover.proxy.InFlightClients clients = io.cutover.proxy.InFlightClients.start(old.proxyAddress(), 8);
        try {
            clients.awaitAnswered(300);
            java.util.concurrent.CompletableFuture<Void> oldStopped = old.handedOver().thenRunAsync(old::shutdown);
            takeOver(s);
            oldStopped.get(30, TimeUnit.SECONDS);
            clients.awaitAnswered(clients.answered() + 300);
        } finally {
            assertEquals(List.of(), clients.stop(), "no request failed across the takeover");
        }
        io.cutover.proxy.StopFigures f = old.proxy().lastStop();
        assertEquals(0, f.cut(), String.valueOf(f));
        assertEquals(f.open(), f.answeredAndClosed() + f.closedIdle() + f.closedByClient(), String.valueOf(f));
    }

    @Test
    void underKeepAliveLoadATakeoverFailsNoRequest() throws Exception {
        takeOverUnder(false);
    }

    @Test
    void underANewConnectionPerRequestATakeoverRefusesNoConnection() throws Exception {
        takeOverUnder(true);
    }

    @Test
    void aTakeoverOntoEpollAdoptsTheRunningListenerWhateverItsTransport() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Cutover old = start(settings(app.target().toString()));
        KeepAliveLoad load = KeepAliveLoad.connectionPerRequest(old.proxyAddress(), 4);
        try {
            load.awaitRequests(200);
            Cutover fresh = takeOver(settings(app.target().toString(), "cutover.transport", "epoll"));
            old.handedOver().get(10, TimeUnit.SECONDS);
            old.shutdown();
            load.awaitRequests(load.requests() + 200);
            assertEquals(Transport.EPOLL, fresh.transport());
        } finally {
            assertEquals(List.of(), load.stop());
        }
    }

    /** Echoes an upgraded connection's bytes prefixed with "A"; answers any other request 200 "ws". */
    private static void upgradeOrAnswer(Socket s) throws java.io.IOException {
        InputStream in = s.getInputStream();
        for (String head = ScriptedBackend.readHead(in); head != null; head = ScriptedBackend.readHead(in)) {
            if (head.toLowerCase().contains("upgrade: echo")) {
                ScriptedBackend.write(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
                for (int c = in.read(); c != -1; c = in.read()) {
                    ScriptedBackend.write(s, "A" + (char) c);
                }
                return;
            }
            ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nws");
        }
    }

    @Test
    void aWebSocketOpenAcrossATakeoverGoesOnThroughTheOldProcessUntilItCloses() throws Exception {
        ScriptedBackend echo = closing(ScriptedBackend.start((s, b) -> upgradeOrAnswer(s)));
        Settings s = settings(echo.target().toString());
        Cutover old = start(s);
        try (RawHttp ws = new RawHttp(old.proxyAddress())) {
            assertEquals(101, ws.send("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
                    .read().status());
            ws.send("1");
            assertEquals("A1", ws.readRaw(2));

            takeOver(s);
            old.handedOver().get(10, TimeUnit.SECONDS);
            Thread stopping = new Thread(old::shutdown, "old-cutover-stopping");
            stopping.start();

            ws.send("2");
            assertEquals("A2", ws.readRaw(2), "still open, through the old process, after the takeover");
            assertTrue(stopping.isAlive(), "the old process waits for it");
            try (RawHttp other = new RawHttp(old.proxyAddress())) {
                assertEquals("ws", other.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body(),
                        "new connections go to the new process");
            }
            ws.close();     // the client ends it: the old process has nothing left, and stops
            stopping.join(TimeUnit.SECONDS.toMillis(15));
            assertFalse(stopping.isAlive(), "the old process stopped once the WebSocket closed");
        }
    }

    @Test
    void aTakeoverMovesTheAdminUnixSocketToTheNewCutoverAndTheOldOneLeavesItWhenItStops() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Settings s = settings(app.target().toString(), "cutover.admin-socket", "admin.sock");
        Path socket = state.resolve("admin.sock");
        Cutover old = start(s);
        Object before = inode(socket);
        assertTrue(curlUnix(socket).startsWith("HTTP/1.1 200"));

        Cutover taker = takeOver(s);
        old.handedOver().get(10, TimeUnit.SECONDS);
        assertFalse(before.equals(inode(socket)), "the path is the new cutover's socket");
        old.close();
        assertTrue(java.nio.file.Files.exists(socket), "the old cutover leaves the new one's socket");
        String status = curlUnix(socket);
        assertTrue(status.startsWith("HTTP/1.1 200") && status.contains(app.target().toString()), status);
        taker.close();
        assertFalse(java.nio.file.Files.exists(socket), "the last cutover removes it when it stops");
    }

    @Test
    void aTakeoverThatFailsLeavesTheAdminUnixSocketToTheRunningCutover() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Settings s = settings(app.target().toString(), "cutover.admin-socket", "admin.sock");
        Path socket = state.resolve("admin.sock");
        Cutover old = start(s);
        Object before = inode(socket);
        app.healthStatus(503);
        assertThrows(TakeoverFailure.class, () -> takeOver(s));
        app.healthStatus(200);
        assertEquals(before, inode(socket));
        assertTrue(curlUnix(socket).startsWith("HTTP/1.1 200"));
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(state)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith(".admin-sock-")).toList(),
                    "nothing of the failed takeover is left");
        }
        assertFalse(old.handedOver().isDone());
    }

    private static Object inode(Path p) throws java.io.IOException {
        return java.nio.file.Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /** {@code GET /v1/status} over the admin unix socket, by curl: its answer, status line first. */
    private static String curlUnix(Path socket) throws Exception {
        Process p = new ProcessBuilder("curl", "-sS", "-i", "--max-time", "10", "--unix-socket", socket.toString(),
                "http://localhost/v1/status").redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("curl did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aTakeoverWhoseActiveVersionFailsItsHealthCheckLeavesTheRunningCutoverServing() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        TestBackend other = closing(TestBackend.start("other"));
        Settings s = settings(app.target().toString());
        Cutover old = start(s);
        KeepAliveLoad load = KeepAliveLoad.start(old.proxyAddress(), 4);
        try {
            load.awaitRequests(100);
            app.healthStatus(503);
            TakeoverFailure e = assertThrows(TakeoverFailure.class, () -> takeOver(s));
            assertTrue(e.getMessage().contains("not healthy") && e.getMessage().contains("goes on serving"),
                    e.getMessage());
            app.healthStatus(200);
            load.awaitRequests(load.requests() + 100);
        } finally {
            assertEquals(List.of(), load.stop(), "the running cutover served throughout");
        }
        assertFalse(old.handedOver().isDone());
        // its apps are back in service: a switch goes through
        old.apps().all().iterator().next().switches().switchTo(other.target()).get(10, TimeUnit.SECONDS);
        try (RawHttp raw = new RawHttp(old.proxyAddress())) {
            assertEquals("other", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }

    @Test
    void aTakeoverWhoseConfigNamesAnotherAddressIsRefusedAndTheRunningCutoverGoesOn() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Cutover old = start(settings(app.target().toString()));
        int taken;
        try (java.net.ServerSocket elsewhere = new java.net.ServerSocket(0)) {
            taken = elsewhere.getLocalPort();
        }
        TakeoverFailure e = assertThrows(TakeoverFailure.class,
                () -> takeOver(settings(app.target().toString(), "cutover.listen", "127.0.0.1:" + taken)));
        assertTrue(e.getMessage().contains("a takeover keeps the addresses"), e.getMessage());
        assertFalse(old.handedOver().isDone());
        try (RawHttp raw = new RawHttp(old.proxyAddress())) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
        // and it can still be taken over
        takeOver(settings(app.target().toString()));
        old.handedOver().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTakeoverWithNoCutoverRunningSaysSo() {
        TakeoverFailure e = assertThrows(TakeoverFailure.class, () -> takeOver(settings("127.0.0.1:1")));
        assertTrue(e.getMessage().contains("no cutover runs with state directory"), e.getMessage());
    }

    @Test
    void aSecondCutoverOnTheSameStateDirectoryIsRefusedWithoutTakeover() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Cutover old = start(settings(app.target().toString()));
        StartupFailure e = assertThrows(StartupFailure.class, () -> start(settings(app.target().toString())));
        assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid())
                && e.getMessage().contains("--takeover"), e.getMessage());
        try (RawHttp raw = new RawHttp(old.proxyAddress())) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }

    @Test
    void aTakeoverWhileADeployRunsIsRefusedAndTheDeployGoesOn() throws Exception {
        TestBackend v1 = closing(TestBackend.start("v1"));
        TestBackend v2 = closing(TestBackend.start("v2"));
        FakeRuntime runtime = new FakeRuntime();
        runtimes = app -> runtime;
        Settings s = settings(null, Map.of("cutover.app.name", "web", "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port())));
        Cutover old = start(s);
        closing(() -> runtime.start.open());
        runtime.start.close();
        java.net.http.HttpClient http = io.cutover.proxy.TestHttp.client();
        java.net.http.HttpResponse<String> accepted = http.send(
                TestAdmin.request(old, "POST", "/v1/deploy", "{\"command\": [\"v1\"]}").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(202, accepted.statusCode(), accepted.body());
        assertTrue(runtime.start.awaitHeld(10), "the deploy is starting its candidate");

        TakeoverFailure e = assertThrows(TakeoverFailure.class, () -> takeOver(s));
        assertTrue(e.getMessage().contains("refused: app web is switching or deploying"), e.getMessage());

        runtime.start.open();
        Eventually.until(Duration.ofSeconds(20), "the deploy to go on and switch",
                () -> old.apps().all().iterator().next().switches().active() != null);
        takeOver(s);    // and once it is done, a takeover goes through
        old.handedOver().get(10, TimeUnit.SECONDS);
    }

    @Test
    void onlyTheSameUserMayTakeOver() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Cutover old = start(settings(app.target().toString()));
        Path socket = state.resolve("control.sock");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(socket)));
        java.nio.file.Files.setPosixFilePermissions(state, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

        assertEquals("PermissionError", asNobody(socket), "the socket's mode keeps other users out");
        java.nio.file.Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        String answer = asNobody(socket);
        assertTrue(answer.startsWith("refused pid ") && answer.contains("runs as uid 65534"),
                "past the mode, its peer's uid: " + answer);

        assertFalse(old.handedOver().isDone());
        takeOver(settings(app.target().toString()));    // nothing was held by the refused one
        old.handedOver().get(10, TimeUnit.SECONDS);
    }

    /**
     * Connects to {@code socket} as user nobody and returns what it is told first (a refusal
     * comes before anything is asked), or the error's name.
     */
    private static String asNobody(Path socket) throws Exception {
        String script = "import socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX)\n"
                + "s.settimeout(10)\n"
                + "try:\n"
                + "  s.connect(sys.argv[1]); print(s.makefile().readline().strip())\n"
                + "except OSError as e:\n"
                + "  print(type(e).__name__)\n";
        // switching to another user needs root (as CI runs the suite)
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", script, socket.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the client as nobody did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    @Test
    void aTakeoverAtASocketThatIsNotACutoversSaysSo() throws Exception {
        Path socket = state.resolve("control.sock");
        try (java.nio.channels.ServerSocketChannel other = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            other.bind(java.net.UnixDomainSocketAddress.of(socket));
            Thread server = new Thread(() -> {
                try (java.nio.channels.SocketChannel c = other.accept()) {
                    c.write(java.nio.ByteBuffer.wrap("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes()));
                    Thread.sleep(2000);     // deliberate: holds the connection open while the client reads
                } catch (Exception e) {
                    // closed
                }
            }, "not-a-cutover");
            server.setDaemon(true);
            server.start();
            TakeoverFailure e = assertThrows(TakeoverFailure.class, () -> takeOver(settings("127.0.0.1:1")));
            assertTrue(e.getMessage().contains("is not a cutover's control socket"), e.getMessage());
        }
    }

    @Test
    void aStopSignalToTheNewProcessBeforeItAcceptsFailsTheTakeoverAndTheRunningOneGoesOn() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Settings s = settings(app.target().toString());
        Cutover old = start(s);
        Cutover.Launch stopped = new Cutover.Launch(Clock.systemUTC(), runtimes, () -> s, null, () -> true);
        TakeoverFailure e = assertThrows(TakeoverFailure.class, () -> takeOver(s, stopped));
        assertTrue(e.getMessage().contains("stopped by a signal"), e.getMessage());
        assertFalse(old.handedOver().isDone());
        try (RawHttp raw = new RawHttp(old.proxyAddress())) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
        takeOver(s);     // nothing is held
        old.handedOver().get(10, TimeUnit.SECONDS);
    }

    @Test
    void whileATakeoverIsUnderWayMaintenanceIsRefusedAndARunningCutoverThatStopsRefusesItsLastStep() throws Exception {
        TestBackend app = closing(TestBackend.start("app"));
        Settings s = settings(app.target().toString(), "cutover.health.deadline", "20s", "cutover.health.timeout", "10s");
        Cutover old = start(s);
        app.healthDelayMs(2_000);       // the new process waits in its health check meanwhile
        java.util.concurrent.CompletableFuture<Cutover> taking = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return takeOver(s);
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        });
        Eventually.until(Duration.ofSeconds(20), "the apps held, and the new process in its health check",
                () -> old.apps().all().iterator().next().switches().heldByTakeover()
                        && app.seen().contains("GET /health"));
        java.net.http.HttpResponse<String> maintenance = io.cutover.proxy.TestHttp.client().send(
                TestAdmin.request(old, "POST", "/v1/maintenance", "{\"on\": true}").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(409, maintenance.statusCode(), maintenance.body());

        old.shutdown();     // the operator stops cutover while it is being taken over
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> taking.get(40, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof TakeoverFailure && e.getCause().getMessage().contains("stopping"),
                String.valueOf(e.getCause()));
        assertFalse(old.handedOver().isDone());
    }
}
