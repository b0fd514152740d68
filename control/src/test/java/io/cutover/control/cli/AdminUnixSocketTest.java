package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.Cutover;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.TestBackend;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API on a unix socket (cutover.admin-socket), and the CLI's --admin unix:PATH. */
class AdminUnixSocketTest {
    @TempDir
    Path state;
    @TempDir
    Path noToken;    // a state directory with no admin token in it, for the CLI
    private TestBackend blue;
    private TestBackend green;
    private Path socket;

    @BeforeEach
    void backends() throws Exception {
        blue = TestBackend.start("blue");
        green = TestBackend.start("green");
        socket = state.resolve("admin.sock");
    }

    @AfterEach
    void stop() {
        blue.close();
        green.close();
    }

    private Cutover start() throws Exception {
        return Cutover.start(ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0",
                "cutover.state-dir", state.toString(), "cutover.admin-socket", "admin.sock",
                "cutover.target", blue.target().toString(), "cutover.health.path", "/health",
                "cutover.health.interval", "20ms", "cutover.health.deadline", "5s",
                "cutover.health.timeout", "5s")), Clock.systemUTC());     // room for a busy machine
    }

    @Test
    void statusAndSwitchThroughTheCliOverTheUnixSocketNeedNoToken() throws Exception {
        try (Cutover cutover = start()) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            CliRun tcp = CliRun.of("status", "--admin", "127.0.0.1:" + cutover.adminAddress().getPort(),
                    "--state-dir", noToken.toString());
            assertEquals(1, tcp.code(), "over TCP the token is needed: " + tcp.out());
            assertTrue(tcp.err().contains("HTTP 401"), tcp.err());

            CliRun sw = CliRun.of("switch", green.target().toString(), "--admin", "unix:" + socket,
                    "--state-dir", noToken.toString());
            assertEquals(0, sw.code(), sw.err());
            assertTrue(sw.out().startsWith("switched " + blue.target() + " -> " + green.target()), sw.out());
            CliRun status = CliRun.of("status", "--admin", "unix:" + socket, "--state-dir", noToken.toString());
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().contains("active    " + green.target()), status.out());
        }
        assertFalse(Files.exists(socket), "a stopping cutover removes its socket");
    }

    @Test
    void aPeerOfAnotherUserIsClosedWithoutAnAnswer() throws Exception {
        try (Cutover cutover = start()) {
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals("not connected 13", asNobody(), "the socket's mode keeps other users out");
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            assertEquals("closed unanswered", asNobody(), "past the mode, its peer's uid");
        }
    }

    @Test
    void aBrowserShapedPostOverTheUnixSocketIsStillRefused() throws Exception {
        try (Cutover cutover = start()) {
            String answer = curl(List.of(), "--max-time", "10", "--unix-socket", socket.toString(),
                    "-H", "Origin: http://evil.example", "-H", "Content-Type: application/json",
                    "--data", "{\"target\":\"" + green.target() + "\"}", "http://localhost/v1/switch");
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
            String plain = curl(List.of(), "--max-time", "10", "--unix-socket", socket.toString(),
                    "http://localhost/v1/status");
            assertTrue(plain.startsWith("HTTP/1.1 200"), plain);
        }
    }

    @Test
    void aStaleSocketFileIsReplacedAndALiveOneRefusesStartUp() throws Exception {
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        try (Cutover cutover = start()) {
            CliRun status = CliRun.of("status", "--admin", "unix:" + socket, "--state-dir", noToken.toString());
            assertEquals(0, status.code(), status.err());
        }
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(socket));
            Exception e = assertThrows(Exception.class, this::start);
            assertTrue(e.getMessage().contains("a running cutover answers there"), e.getMessage());
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    /** What a client of user nobody gets from the socket: a python one, which tells a refused connection from a closed one. */
    private String asNobody() throws Exception {
        String client = String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX)",
                "s.settimeout(10)",
                "try:",
                "    s.connect(sys.argv[1])",
                "except OSError as e:",
                "    print('not connected', e.errno); sys.exit()",
                "try:",
                "    s.sendall(b'GET /v1/status HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')",
                "    print('answered' if s.recv(100) else 'closed unanswered')",
                "except socket.timeout:",
                "    print('no answer within 10 s')",
                "except OSError:",
                "    print('closed unanswered')");
        // switching to another user needs root (as CI runs the suite)
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", client, socket.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the client did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    /** curl's answer (status line and headers included) or its error, within 20 s. */
    private static String curl(List<String> prefix, String... args) throws Exception {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("curl", "-sS", "-i"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("curl did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }
}
