package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The addresses whose forwarding headers cutover believes: a load balancer in front of it, for
 * instance. A list of IP addresses and CIDR blocks (IPv4 and IPv6), never host names.
 * Addresses are read as literals only, never looked up (no DNS).
 */
public final class TrustedProxies {
    /** What an X-Forwarded-For hop is here. */
    public enum Hop {
        /** An address of a trusted proxy. */
        TRUSTED,
        /** An address of anyone else. */
        UNTRUSTED,
        /** Not an IP literal (a name, {@code unknown}, a port, garbage): not an address at all. */
        NOT_AN_ADDRESS
    }

    /** The longest hop read as an address: {@code [ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]}. */
    static final int MAX_HOP = 47;

    private record Block(byte[] network, int prefix) {
        boolean contains(byte[] address) {
            return contains(address, address.length);
        }

        /** Whether the first {@code length} bytes of {@code address} (4 or 16) are an address in the block. */
        boolean contains(byte[] address, int length) {
            if (length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Block> blocks;

    private TrustedProxies(List<Block> blocks) {
        this.blocks = blocks;
    }

    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    /** The same networks, in the same order. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TrustedProxies other) || other.blocks.size() != blocks.size()) {
            return false;
        }
        for (int i = 0; i < blocks.size(); i++) {
            Block a = blocks.get(i);
            Block b = other.blocks.get(i);
            if (a.prefix() != b.prefix() || !java.util.Arrays.equals(a.network(), b.network())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return blocks.size();
    }

    /** Parses {@code 10.0.0.0/8}, {@code 192.0.2.7}, {@code fc00::/7} and the like. */
    public static TrustedProxies parse(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : entries) {
            String e = entry.trim();
            int slash = e.indexOf('/');
            byte[] address = literal(slash < 0 ? e : e.substring(0, slash), entry);
            int prefix = address.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(e.substring(slash + 1));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("'" + entry + "' has no prefix length after /");
                }
                if (prefix < 0 || prefix > address.length * 8) {
                    throw new IllegalArgumentException("'" + entry + "' has a prefix length out of range");
                }
            }
            blocks.add(new Block(address, prefix));
        }
        return new TrustedProxies(List.copyOf(blocks));
    }

    /** Whether the address is a trusted proxy's. */
    public boolean trusts(InetAddress address) {
        if (address == null) {
            return false;
        }
        byte[] bytes = address.getAddress();
        for (Block b : blocks) {
            if (b.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the hop written at {@code from} up to {@code to} in {@code buf} (trimmed) is a
     * trusted proxy's address; see {@link #hop(ByteBuf, int, int, byte[])}.
     */
    public boolean trusts(ByteBuf buf, int from, int to) {
        return hop(buf, from, to, new byte[16]) == Hop.TRUSTED;
    }

    /** Whether a textual address (from X-Forwarded-For) is trusted; anything that is not an IP literal is not. */
    public boolean trusts(String address) {
        return hop(address) == Hop.TRUSTED;
    }

    /**
     * What the X-Forwarded-For hop written at {@code from} up to {@code to} in {@code buf}
     * (trimmed) is. An address is an IPv4 literal (dotted, four decimal parts, none with a leading
     * zero, which is octal to some readers), an IPv6 literal, or one in brackets; anything else
     * (a name, {@code unknown}, a port, a zone, more than {@value #MAX_HOP} bytes) is not one.
     * Dotted IPv4 is read straight from the bytes; IPv6 takes a String.
     *
     * @param scratch 16 bytes to parse into (the caller's, so a hop costs no allocation)
     */
    public Hop hop(ByteBuf buf, int from, int to, byte[] scratch) {
        int length = address(buf, from, to, scratch);
        if (length < 0) {
            return Hop.NOT_AN_ADDRESS;
        }
        if (length == 16 && v4Mapped(scratch)) {    // ::ffff:10.0.0.1 is 10.0.0.1
            System.arraycopy(scratch, 12, scratch, 0, 4);
            length = 4;
        }
        for (Block b : blocks) {
            if (b.contains(scratch, length)) {
                return Hop.TRUSTED;
            }
        }
        return Hop.UNTRUSTED;
    }

    /** As {@link #hop(ByteBuf, int, int, byte[])}, on text (not the hot path). */
    public Hop hop(String text) {
        String t = text.trim();
        ByteBuf buf = io.netty.buffer.Unpooled.wrappedBuffer(t.getBytes(StandardCharsets.ISO_8859_1));
        return hop(buf, 0, t.length(), new byte[16]);
    }

    private static boolean v4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /**
     * Parses the IP literal at {@code from} up to {@code to} into {@code into}: 4 for IPv4, 16
     * for IPv6, -1 for anything that is not a literal. Never a lookup.
     */
    static int address(ByteBuf buf, int from, int to, byte[] into) {
        if (to <= from || to - from > MAX_HOP) {
            return -1;
        }
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (b >= '0' && b <= '9') {
                if (digits == 1 && value == 0 || ++digits > 3) {
                    return -1;
                }
                value = (value < 0 ? 0 : value * 10) + b - '0';
                if (value > 255) {
                    return -1;
                }
            } else if (b == '.' && value >= 0 && part < 3) {
                digits = 0;
                into[part++] = (byte) value;
                value = -1;
            } else {
                return v6(buf, from, to, into);
            }
        }
        if (part != 3 || value < 0) {
            return -1;
        }
        into[3] = (byte) value;
        return 4;
    }

    /** An IPv6 literal, bare or in brackets, without a zone; -1 for anything else. */
    private static int v6(ByteBuf buf, int from, int to, byte[] into) {
        if (buf.getByte(from) == '[') {
            if (buf.getByte(to - 1) != ']') {
                return -1;
            }
            from++;
            to--;
        }
        if (to <= from) {
            return -1;
        }
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (!(b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' || b == ':' || b == '.')) {
                return -1;
            }
        }
        String text = buf.toString(from, to - from, StandardCharsets.ISO_8859_1);
        if (!NetUtil.isValidIpV6Address(text)) {
            return -1;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null || bytes.length != 16) {
            return -1;
        }
        System.arraycopy(bytes, 0, into, 0, 16);
        return 16;
    }

    /** The bytes of an IP literal (a block's network); a host name is refused (no DNS lookups here, ever). */
    private static byte[] literal(String text, String entry) {
        byte[] into = new byte[16];
        int length = address(io.netty.buffer.Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.ISO_8859_1)),
                0, text.length(), into);
        if (length < 0) {
            throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
        }
        return java.util.Arrays.copyOf(into, length);
    }
}
