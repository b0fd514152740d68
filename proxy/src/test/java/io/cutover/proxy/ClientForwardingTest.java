package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.http.HeadParser;
import io.cutover.proxy.http.HeadWriter;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The head a backend gets, for clients the end-to-end tests cannot be (an IPv6 one). */
class ClientForwardingTest {
    private static String forwarded(InetSocketAddress peer, String head) throws Exception {
        RequestHead h = HeadParser.parseRequest(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        ByteBuf out = HeadWriter.request(ByteBufAllocator.DEFAULT, h, 0, "backend:8081",
                new ClientForwarding(TrustedProxies.NONE, peer));
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
            h.release();
        }
    }

    @Test
    void anIpv6ClientIsBracketedAndQuotedInForwarded() throws Exception {
        String head = forwarded(new InetSocketAddress(InetAddress.getByAddress(new byte[] {
            0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 40000),
                "GET / HTTP/1.1\r\nHost: shop.example\r\nForwarded: for=6.6.6.6\r\n\r\n");
        assertTrue(head.contains("\r\nforwarded: for=\"[2001:db8:0:0:0:0:0:1]\";proto=http;host=\"shop.example\"\r\n"), head);
        assertTrue(head.contains("\r\nx-forwarded-for: 2001:db8:0:0:0:0:0:1\r\n"), head);
        assertTrue(!head.contains("6.6.6.6"), head);
    }

    @Test
    void anHttp10RequestWithoutAHostGetsForwardedWithoutOne() throws Exception {
        String head = forwarded(new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 7}), 40000),
                "GET / HTTP/1.0\r\n\r\n");
        assertTrue(head.contains("\r\nforwarded: for=192.0.2.7;proto=http\r\n"), head);
        assertTrue(head.contains("\r\nhost: backend:8081\r\n"), head);
    }

    @Test
    void connectionsFromDifferentAddressesOnOneLoopEachForwardTheirOwn() throws Exception {
        // connections made on one thread share the values of the last address seen: never another's
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 7}), 40000);
        InetSocketAddress b = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, 9}), 40001);
        ClientForwarding first = new ClientForwarding(TrustedProxies.NONE, a);
        ClientForwarding second = new ClientForwarding(TrustedProxies.NONE, b);
        ClientForwarding third = new ClientForwarding(TrustedProxies.NONE, a);
        second.client("203.0.113.5", false);        // a PROXY protocol header names another client
        String request = "GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n";
        String[] heads = {written(first, request), written(second, request), written(third, request)};
        String[] expected = {"192.0.2.7", "203.0.113.5", "192.0.2.7"};
        for (int i = 0; i < heads.length; i++) {
            assertTrue(heads[i].contains("\r\nx-forwarded-for: " + expected[i] + "\r\n"), heads[i]);
            assertTrue(heads[i].contains("\r\nx-real-ip: " + expected[i] + "\r\n"), heads[i]);
            assertTrue(heads[i].contains("\r\nforwarded: for=" + expected[i] + ";proto=http"), heads[i]);
        }
        assertTrue(!heads[0].contains("198.51.100.9") && !heads[2].contains("198.51.100.9"), heads[0] + heads[2]);
    }

    private static String written(ClientForwarding client, String head) throws Exception {
        RequestHead h = HeadParser.parseRequest(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        ByteBuf out = HeadWriter.request(ByteBufAllocator.DEFAULT, h, 0, "backend:8081", client);
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
            h.release();
        }
    }
}
