package io.cutover.proxy;

import java.nio.charset.StandardCharsets;

/** The bytes of an answer the proxy makes itself (maintenance, a pause, no app, its health check), made once. */
final class LocalAnswer {
    private LocalAnswer() {
    }

    /**
     * @param extra header lines after content-length, each ending in CRLF ("" for none)
     */
    static byte[] bytes(int status, String reason, String type, byte[] body, String extra, boolean keepAlive) {
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: " + type + "\r\ncontent-length: "
                + body.length + "\r\n" + extra + (keepAlive ? "" : "connection: close\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] whole = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, whole, head.length, body.length);
        return whole;
    }
}
