package io.cutover.control.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.NetUtil;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Keeps web pages out of the admin API, before the token is checked and before anything runs: a
 * page in a browser on this host (or one that reaches it through DNS rebinding) could otherwise
 * send it requests. Refused: a Host that is not an IP address, {@code localhost} or a name of
 * {@code cutover.admin-hosts} (a rebinding page always sends its own name, and a page that names
 * an IP directly is cross-origin, so it sends an Origin); any Origin, and a Sec-Fetch-Site other
 * than {@code none} or {@code same-origin} (what browsers add, and curl, Prometheus and the CLI
 * never send); and a POST that is not {@code application/json} (the only kind a page can send
 * without asking first).
 */
final class FrontDoor {
    private final Set<String> hosts;

    /** @param hosts names allowed as Host besides IP addresses and localhost, in lower case */
    FrontDoor(List<String> hosts) {
        this.hosts = Set.copyOf(hosts);
    }

    /** Why this request is refused (403), or null if it may go on. */
    String refusal(HttpRequest request) {
        HttpHeaders headers = request.headers();
        List<String> host = headers.getAll(HttpHeaderNames.HOST);
        if (host.size() > 1) {
            return "more than one Host header";
        }
        if (host.isEmpty() ? !request.protocolVersion().equals(HttpVersion.HTTP_1_0) : !allowedHost(host.get(0))) {
            return "the Host header must be an IP address, localhost or a name in cutover.admin-hosts";
        }
        if (headers.contains(HttpHeaderNames.ORIGIN)) {
            return "requests from web pages (with an Origin header) are refused";
        }
        for (String site : headers.getAll("Sec-Fetch-Site")) {
            String s = site.trim().toLowerCase(Locale.ROOT);
            if (!s.equals("none") && !s.equals("same-origin")) {
                return "requests from web pages (Sec-Fetch-Site other than none or same-origin) are refused";
            }
        }
        if (request.method().equals(HttpMethod.POST) && !json(headers.getAll(HttpHeaderNames.CONTENT_TYPE))) {
            return "a POST must have Content-Type: application/json";
        }
        return null;
    }

    private boolean allowedHost(String value) {
        String h = value.trim().toLowerCase(Locale.ROOT);
        String name;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0 || !port(h.substring(end + 1)) || !NetUtil.isValidIpV6Address(h.substring(1, end))) {
                return false;
            }
            return true;
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            if (!port(h.substring(colon))) {
                return false;
            }
            name = h.substring(0, colon);
        } else {
            name = h;
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return NetUtil.isValidIpV4Address(name) || name.equals("localhost") || hosts.contains(name);
    }

    /** Nothing, or {@code :} and a port. */
    private static boolean port(String rest) {
        return rest.isEmpty() || rest.matches(":[0-9]{1,5}");
    }

    private static boolean json(List<String> contentType) {
        if (contentType.size() != 1) {
            return false;
        }
        String v = contentType.get(0);
        int semicolon = v.indexOf(';');
        return (semicolon < 0 ? v : v.substring(0, semicolon)).trim().equalsIgnoreCase("application/json");
    }
}
