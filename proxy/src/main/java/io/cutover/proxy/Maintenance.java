package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Maintenance mode: every request is answered 503 with {@code Retry-After} and a page, HTML, or
 * JSON for a client that asks for JSON; the app is not reached. The answers are made once, when
 * maintenance is turned on.
 */
public final class Maintenance implements Route {
    /** The page shown when none is given. */
    public static final String DEFAULT_PAGE = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Down for maintenance</title></head>"
            + "<body><h1>Down for maintenance</h1><p>We will be back shortly.</p></body></html>\n";

    private final String page;
    private final byte[] html;
    private final byte[] htmlClose;
    private final byte[] json;
    private final byte[] jsonClose;

    private Maintenance(String page, long retryAfterSeconds) {
        this.page = page;
        byte[] body = page.getBytes(StandardCharsets.UTF_8);
        byte[] jsonBody = ("{\"status\": 503, \"error\": \"down for maintenance\", \"retryAfterSeconds\": "
                + retryAfterSeconds + "}\n").getBytes(StandardCharsets.UTF_8);
        this.html = answer("text/html; charset=utf-8", body, retryAfterSeconds, true);
        this.htmlClose = answer("text/html; charset=utf-8", body, retryAfterSeconds, false);
        this.json = answer("application/json", jsonBody, retryAfterSeconds, true);
        this.jsonClose = answer("application/json", jsonBody, retryAfterSeconds, false);
    }

    /**
     * @param page              the HTML page to show; null or blank: {@link #DEFAULT_PAGE}
     * @param retryAfterSeconds what {@code Retry-After} tells clients
     */
    public static Maintenance of(String page, long retryAfterSeconds) {
        return new Maintenance(page == null || page.isBlank() ? DEFAULT_PAGE : page, retryAfterSeconds);
    }

    /** The page it shows. */
    public String page() {
        return page;
    }

    /** The answer, ready to write (it wraps bytes made once: nothing to leak). */
    ByteBuf response(boolean wantsJson, boolean keepAlive) {
        return Unpooled.wrappedBuffer(wantsJson ? (keepAlive ? json : jsonClose) : (keepAlive ? html : htmlClose));
    }

    private static byte[] answer(String type, byte[] body, long retryAfterSeconds, boolean keepAlive) {
        return LocalAnswer.bytes(503, "Service Unavailable", type, body,
                "retry-after: " + retryAfterSeconds + "\r\ncache-control: no-store\r\n", keepAlive);
    }
}
