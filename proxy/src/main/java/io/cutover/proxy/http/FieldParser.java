package io.cutover.proxy.http;

import io.cutover.proxy.http.HttpParseException.Kind;
import io.netty.buffer.ByteBuf;

/**
 * Header fields of a head (RFC 9112 section 5), strictly: a token, a colon with no space before
 * it, a value without control characters, no obs-fold. Records in {@link HeadFields} what the
 * proxy acts on (framing, Host, Connection, Upgrade, the forwarding headers), as offsets into
 * the head's bytes; every other field stays bytes.
 */
final class FieldParser {
    private FieldParser() {
    }

    /**
     * Parses header lines from {@code pos} through the empty line (RFC 9112 section 5).
     *
     * @return the index just past the empty line
     */
    static int parseFields(ByteBuf raw, int pos, HeadFields f, boolean request) throws HttpParseException {
        while (true) {
            int le = lineEnd(raw, pos);
            if (le == pos) {
                return pos + 2;
            }
            byte first = raw.getByte(pos);
            if (HttpChars.ows(first)) {
                throw malformed("obs-fold (a header line starting with whitespace)");
            }
            int colon = pos;
            while (colon < le && HttpChars.tchar(raw.getByte(colon))) {
                colon++;
            }
            if (colon == pos || colon == le || raw.getByte(colon) != ':') {
                throw malformed("malformed header line");
            }
            int v = colon + 1;
            for (int k = v; k < le; k++) {
                if (!HttpChars.fieldValue(raw.getByte(k))) {
                    throw malformed("control character in a header value");
                }
            }
            while (v < le && HttpChars.ows(raw.getByte(v))) {
                v++;
            }
            int ve = le;
            while (ve > v && HttpChars.ows(raw.getByte(ve - 1))) {
                ve--;
            }
            KnownHeader known = KnownHeader.of(raw, pos, colon - pos);
            if (known != null) {
                field(raw, known, v, ve, f, request);
            }
            pos = le + 2;
        }
    }

    private static void field(ByteBuf raw, KnownHeader known, int v, int ve, HeadFields f, boolean request)
            throws HttpParseException {
        switch (known) {
            case HOST -> {
                if (f.hosts++ == 0) {
                    f.hostStart = v;
                    f.hostEnd = ve;
                }
            }
            case CONTENT_LENGTH -> {
                f.contentLengths++;
                f.contentLength = length(raw, v, ve);
            }
            case TRANSFER_ENCODING -> {
                f.transferEncodings++;
                f.chunked = equalsIgnoreCase(raw, v, ve, "chunked");
            }
            case CONNECTION -> connectionTokens(raw, v, ve, f);
            case UPGRADE -> {
                f.upgradeStart = v;
                f.upgradeEnd = ve;
            }
            case ACCEPT -> {
                f.acceptStart = v;
                f.acceptEnd = ve;
            }
            case X_REQUEST_ID -> {
                f.requestIdStart = v;
                f.requestIdEnd = ve;
            }
            case X_FORWARDED_FOR -> {
                if (f.forwardedFors++ == 0) {
                    f.forwardedForStart = v;
                    f.forwardedForEnd = ve;
                }
            }
            case X_FORWARDED_PROTO -> {
                if (f.forwardedProtos++ == 0) {
                    f.forwardedProtoStart = v;
                    f.forwardedProtoEnd = ve;
                }
            }
            case X_FORWARDED_HOST -> {
                if (f.forwardedHosts++ == 0) {
                    f.forwardedHostStart = v;
                    f.forwardedHostEnd = ve;
                }
            }
            case TRANSFER_ENCODING_UNDERSCORE, CONTENT_LENGTH_UNDERSCORE -> {
                if (request) {
                    throw malformed("a framing header spelled with an underscore");
                }
            }
            default -> {
                // acted on when the head is written
            }
        }
    }

    private static void connectionTokens(ByteBuf raw, int v, int ve, HeadFields f) {
        int i = v;
        while (i < ve) {
            int comma = i;
            while (comma < ve && raw.getByte(comma) != ',') {
                comma++;
            }
            int s = i;
            int e = comma;
            while (s < e && HttpChars.ows(raw.getByte(s))) {
                s++;
            }
            while (e > s && HttpChars.ows(raw.getByte(e - 1))) {
                e--;
            }
            if (equalsIgnoreCase(raw, s, e, "close")) {
                f.close = true;
            } else if (equalsIgnoreCase(raw, s, e, "keep-alive")) {
                f.keepAlive = true;
            } else if (equalsIgnoreCase(raw, s, e, "upgrade")) {
                f.connectionUpgrade = true;
            } else if (e > s) {
                f.connectionNamesOthers = true;
            }
            i = comma + 1;
        }
    }

    /** 1*DIGIT, nothing else: no sign, no list, no spaces inside; at most 18 digits. */
    private static long length(ByteBuf raw, int v, int ve) throws HttpParseException {
        if (v == ve || ve - v > 18) {
            throw malformed("malformed Content-Length");
        }
        long n = 0;
        for (int i = v; i < ve; i++) {
            byte b = raw.getByte(i);
            if (b < '0' || b > '9') {
                throw malformed("malformed Content-Length");
            }
            n = n * 10 + b - '0';
        }
        return n;
    }

    /** The index of the CR of the line starting at {@code from} (the scan made sure it is followed by LF). */
    static int lineEnd(ByteBuf raw, int from) throws HttpParseException {
        int lf = raw.indexOf(from, raw.writerIndex(), (byte) '\n');
        if (lf < 1 || raw.getByte(lf - 1) != '\r') {
            throw malformed("a line ends in a bare LF");
        }
        int cr = raw.indexOf(from, lf - 1, (byte) '\r');
        if (cr >= 0) {
            throw malformed("a bare CR");
        }
        return lf - 1;
    }

    static boolean equalsIgnoreCase(ByteBuf raw, int from, int to, String lower) {
        if (to - from != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            if (HttpChars.lower(raw.getByte(from + i)) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static HttpParseException malformed(String why) {
        return new HttpParseException(Kind.MALFORMED, why);
    }
}
