package io.cutover.proxy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signed value of the {@value Canary#COOKIE} cookie, {@code BUCKET.SIGNATURE}: the signature
 * is HMAC-SHA256 over the app's name and the bucket with the app's secret key, its first 16
 * bytes in base64url. A client cannot choose its side by writing a bucket of its own: a value
 * whose signature does not verify is ignored. A {@link Mac} is not thread-safe: each thread (an
 * event loop) keeps its own.
 */
public final class CanaryCookie {
    /** Bytes of a key. */
    public static final int KEY_BYTES = 32;
    private static final int SIGNATURE_BYTES = 16;
    private static final int SIGNATURE_CHARS = 22;     // 16 bytes in base64url without padding

    private final String app;
    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    /** @param key the app's secret ({@link #KEY_BYTES} random bytes, kept by the control plane) */
    public CanaryCookie(String app, byte[] key) {
        if (key.length < KEY_BYTES) {
            throw new IllegalArgumentException("a canary cookie key has " + KEY_BYTES + " bytes, got " + key.length);
        }
        this.app = app;
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** With a random key held only in memory: cookies do not outlive the process. */
    public static CanaryCookie random(String app) {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return new CanaryCookie(app, key);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private byte[] signature(int bucket) {
        Mac mac = macs.get();
        mac.update(app.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        mac.update(Integer.toString(bucket).getBytes(StandardCharsets.US_ASCII));
        return Arrays.copyOf(mac.doFinal(), SIGNATURE_BYTES);
    }

    /** The cookie value that gives a client this bucket. */
    public String value(int bucket) {
        return bucket + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature(bucket));
    }

    /** The bucket a cookie value names, if its signature verifies; else -1. */
    public int bucket(String value) {
        if (value == null) {
            return -1;
        }
        int dot = value.indexOf('.');
        if (dot < 1 || dot > 4 || value.length() != dot + 1 + SIGNATURE_CHARS) {
            return -1;
        }
        int n = 0;
        for (int i = 0; i < dot; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        if (n >= Canary.ALL || dot > 1 && value.charAt(0) == '0') {
            return -1;
        }
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(value.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return -1;
        }
        return MessageDigest.isEqual(given, signature(n)) ? n : -1;
    }
}
