package io.cutover.proxy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The addresses whose forwarding headers cutover believes: a load balancer in front of it, for
 * instance. A list of IP addresses and CIDR blocks (IPv4 and IPv6), never host names.
 */
public final class TrustedProxies {
    private record Block(byte[] network, int prefix) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
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
     * Whether the address written at {@code from} up to {@code to} in {@code buf} (an
     * X-Forwarded-For hop, trimmed) is trusted: dotted IPv4 is read straight from the bytes;
     * anything else takes the slower way through a String; anything unparseable is not, nor is
     * an ambiguous part such as {@code 010} (octal to some readers).
     */
    public boolean trusts(io.netty.buffer.ByteBuf buf, int from, int to) {
        if (blocks.isEmpty()) {
            return false;
        }
        byte[] v4 = new byte[4];
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (b >= '0' && b <= '9') {
                if (digits == 1 && value == 0 || ++digits > 3) {
                    return false;
                }
                value = (value < 0 ? 0 : value * 10) + b - '0';
                if (value > 255) {
                    return false;
                }
            } else if (b == '.' && value >= 0 && part < 3) {
                digits = 0;
                v4[part++] = (byte) value;
                value = -1;
            } else {
                return trusts(buf.toString(from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        if (part != 3 || value < 0) {
            return false;
        }
        v4[3] = (byte) value;
        for (Block b : blocks) {
            if (b.contains(v4)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a textual address (from X-Forwarded-For) is trusted; anything unparseable is not. */
    public boolean trusts(String address) {
        if (blocks.isEmpty()) {
            return false;
        }
        try {
            return trusts(InetAddress.getByAddress(literal(address.trim(), address)));
        } catch (IllegalArgumentException | UnknownHostException e) {
            return false;
        }
    }

    /** The bytes of an IP literal; a host name is refused (no DNS lookups here, ever). */
    private static byte[] literal(String text, String entry) {
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = t.indexOf(':') >= 0 && t.matches("[0-9a-fA-F:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
        }
        try {
            return InetAddress.getByName(t).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
        }
    }
}
