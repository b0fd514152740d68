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

    /**
     * The Authorization header that passes this check, or null when none is needed: for
     * cutover's own requests to its admin API (the warm-up). Never to be logged.
     */
    public String authorization() {
        return expected == null ? null : BEARER + new String(expected, StandardCharsets.UTF_8);
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
