package io.cutover.control.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/** The admin API's bearer token check; without a configured token every request is allowed. */
public final class AdminAuth {
    private static final String BEARER = "Bearer ";

    private final byte[] expected;

    public AdminAuth(Optional<String> token) {
        this.expected = token.map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    /** Whether a request with this Authorization header may use the API (constant-time compare). */
    boolean allows(String authorization) {
        if (expected == null) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, given);
    }
}
