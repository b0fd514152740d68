package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A listener behind a TCP load balancer that sends the PROXY protocol header (v1 or v2). */
class ProxyProtocolTest {
    private static final String HEADERS = "GET /headers HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n";

    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp("app", ProxySettings.defaults().withProxyProtocol(true)
                .withTrustedProxies(TrustedProxies.parse(List.of("10.0.0.0/8"))));

    private String send(byte[] header, String request) throws IOException {
        try (Socket s = RawHttp.socket(proxied.proxy().address())) {
            OutputStream out = s.getOutputStream();
            out.write(header);
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static byte[] v2(String source) {
        EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP4, source, "10.0.0.1", 40000, 443));
        ByteBuf out = encoder.readOutbound();
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        encoder.finishAndReleaseAll();
        return bytes;
    }

    @Test
    void theClientAddressComesFromAVersion1Header() throws Exception {
        String seen = send("PROXY TCP4 203.0.113.9 10.0.0.1 56324 443\r\n".getBytes(StandardCharsets.US_ASCII), HEADERS);
        assertTrue(seen.contains("x-real-ip: 203.0.113.9\n"), seen);
        assertTrue(seen.contains("x-forwarded-for: 203.0.113.9\n"), "an untrusted client's own header is replaced: " + seen);
    }

    @Test
    void theClientAddressComesFromAVersion2Header() throws Exception {
        String seen = send(v2("198.51.100.3"), HEADERS);
        assertTrue(seen.contains("x-real-ip: 198.51.100.3\n"), seen);
    }

    @Test
    void trustFollowsTheAddressTheHeaderNames() throws Exception {
        String seen = send(v2("10.1.2.3"), HEADERS);
        assertTrue(seen.contains("x-forwarded-for: 6.6.6.6, 10.1.2.3\n"), seen);
        assertTrue(seen.contains("x-real-ip: 6.6.6.6\n"), seen);
    }

    @Test
    void aConnectionWithoutTheHeaderIsClosedAndNothingIsForwarded() throws Exception {
        String answer;
        try {
            answer = send(new byte[0], "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        } catch (IOException reset) {
            answer = "";
        }
        assertTrue(!answer.contains("app"), answer);
        assertEquals(0, proxied.app().requests());
        assertThrows(IOException.class,
                () -> new RawHttp(proxied.proxy().address()).send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read());
    }
}
