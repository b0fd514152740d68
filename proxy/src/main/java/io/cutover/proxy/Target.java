package io.cutover.proxy;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;

/** An upstream address, written {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}). */
public record Target(String host, int port) {

    public Target {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is outside 1-65535");
        }
    }

    /** Parses {@code HOST:PORT}; the message of the exception says what is wrong. */
    public static Target parse(String text) {
        String[] hostPort = split(text);
        return new Target(hostPort[0], port(text, hostPort[1], 1));
    }

    /** Parses a local address to listen on, {@code HOST:PORT}; port 0 picks a free one. */
    public static InetSocketAddress parseBindAddress(String text) {
        String[] hostPort = split(text);
        InetSocketAddress address = new InetSocketAddress(hostPort[0], port(text, hostPort[1], 0));
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("host '" + hostPort[0] + "' does not resolve");
        }
        return address;
    }

    private static String[] split(String text) {
        if (text == null) {
            throw new IllegalArgumentException("expected HOST:PORT, got nothing");
        }
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("an IPv6 host needs brackets: '[" + host + "]:PORT'");
        }
        return new String[] {host, s.substring(colon + 1)};
    }

    private static int port(String text, String port, int min) {
        int n;
        try {
            n = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port of '" + text + "' is not a number");
        }
        if (n < min || n > 65_535) {
            throw new IllegalArgumentException("port " + n + " is outside " + min + "-65535");
        }
        return n;
    }

    /**
     * Resolves the host now: a host name asks the system resolver, which may block (never on an
     * event loop); an IP literal asks no one. The result is unresolved if the name does not resolve.
     */
    public InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }

    /** Whether the host is an IP address, so that {@link #resolve()} asks no one. */
    public boolean literal() {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
