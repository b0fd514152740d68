package io.cutover.proxy.http;

/** Byte classes of RFC 9110/9112, as lookup tables. */
final class HttpChars {
    private static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] FIELD_VALUE = new boolean[256];
    private static final boolean[] TARGET = new boolean[256];

    static {
        for (int c = 0; c < 256; c++) {
            boolean alnum = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
            TCHAR[c] = alnum || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            boolean vchar = c >= 0x21 && c <= 0x7e;
            FIELD_VALUE[c] = vchar || c == ' ' || c == '\t' || c >= 0x80;   // obs-text allowed, CTLs not
            TARGET[c] = vchar || c >= 0x80;
        }
    }

    private HttpChars() {
    }

    /** A byte of a token: a method, a header name. */
    static boolean tchar(byte b) {
        return TCHAR[b & 0xff];
    }

    /** A byte allowed in a header value or a reason phrase (no CTL but HTAB, no NUL). */
    static boolean fieldValue(byte b) {
        return FIELD_VALUE[b & 0xff];
    }

    /** A byte allowed in a request target (visible, no space). */
    static boolean target(byte b) {
        return TARGET[b & 0xff];
    }

    static boolean ows(byte b) {
        return b == ' ' || b == '\t';
    }

    static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }
}
