package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private final TrustedProxies trusted = TrustedProxies.parse(
            List.of("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12", "fc00::/7", "203.0.113.128/25"));

    @Test
    void matchesAddressesInsideItsBlocksOnly() {
        assertTrue(trusted.trusts("10.1.2.3"));
        assertTrue(trusted.trusts("192.168.1.7"));
        assertFalse(trusted.trusts("192.168.1.8"));
        assertTrue(trusted.trusts("172.31.255.255"));
        assertFalse(trusted.trusts("172.32.0.1"));
        assertTrue(trusted.trusts("203.0.113.200"));
        assertFalse(trusted.trusts("203.0.113.127"));
        assertTrue(trusted.trusts("fd12:3456::1"));
        assertFalse(trusted.trusts("2001:db8::1"));
    }

    @Test
    void neverTrustsWhatIsNotAnIpAddress() {
        assertFalse(trusted.trusts("localhost"));
        assertFalse(trusted.trusts("10.0.0.1.evil.example"));
        assertFalse(trusted.trusts(""));
        assertFalse(TrustedProxies.NONE.trusts("10.0.0.1"));
    }

    @Test
    void readsHopsStraightFromTheBytesAsItReadsThemFromText() {
        assertTrue(trustsBytes("10.1.2.3"));
        assertTrue(trustsBytes("203.0.113.200"));
        assertFalse(trustsBytes("203.0.113.127"));
        assertTrue(trustsBytes("fd12:3456::1"), "IPv6 takes the String way");
        assertFalse(trustsBytes("10.1.2"));
        assertFalse(trustsBytes("10.1.2.3."));
        assertFalse(trustsBytes("10.1.2.256"));
        assertFalse(trustsBytes("010.1.2.3"), "a leading zero is octal to some readers");
        assertFalse(trustsBytes("0010.1.2.3"));
        assertFalse(trustsBytes("10.1.2.3x"));
        assertFalse(trustsBytes(""));
        assertTrue(trustsBytes("10.0.0.0"));
    }

    private boolean trustsBytes(String hop) {
        io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.copiedBuffer("x," + hop + ",y",
                java.nio.charset.StandardCharsets.US_ASCII);
        try {
            return trusted.trusts(buf, 2, 2 + hop.length());
        } finally {
            buf.release();
        }
    }

    @Test
    void aHopIsAnAddressOnlyWhenItIsAnIpLiteral() {
        assertEquals(TrustedProxies.Hop.TRUSTED, hop("10.1.2.3"));
        assertEquals(TrustedProxies.Hop.UNTRUSTED, hop("198.51.100.9"));
        assertEquals(TrustedProxies.Hop.TRUSTED, hop("fd12::1"));
        assertEquals(TrustedProxies.Hop.TRUSTED, hop("[fd12::1]"));
        assertEquals(TrustedProxies.Hop.UNTRUSTED, hop("[2001:db8::1]"));
        assertEquals(TrustedProxies.Hop.TRUSTED, hop("::ffff:10.0.0.1"), "an IPv4-mapped address is its IPv4 one");
        for (String notOne : new String[] {"unknown", "lb.internal", "10.0.0.1.evil.example", "10.1.2.3:443",
            "[2001:db8::1]:443", "[10.1.2.3]", "010.1.2.3", "fe80::1%eth0", "[fd12::1", "fd12::1]", "[]", "::g",
            "1::2::3", "1:2:3:4:5:6:7:8:9", "_", "\"10.1.2.3\"", "1".repeat(48), "0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0"}) {
            assertEquals(TrustedProxies.Hop.NOT_AN_ADDRESS, hop(notOne), notOne);
            assertEquals(TrustedProxies.Hop.NOT_AN_ADDRESS, trusted.hop(notOne), notOne);
        }
        assertEquals(TrustedProxies.Hop.NOT_AN_ADDRESS, TrustedProxies.NONE.hop("x"));
        assertEquals(TrustedProxies.Hop.UNTRUSTED, TrustedProxies.NONE.hop("10.0.0.1"));
    }

    private TrustedProxies.Hop hop(String hop) {
        io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.copiedBuffer("x," + hop + ",y",
                java.nio.charset.StandardCharsets.US_ASCII);
        try {
            return trusted.hop(buf, 2, 2 + hop.length(), new byte[16]);
        } finally {
            buf.release();
        }
    }

    @Test
    void refusesHostNamesAndBadBlocks() {
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("lb.internal")));
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("10.0.0.0/33")));
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(List.of("10.0.0.0/x")));
    }
}
