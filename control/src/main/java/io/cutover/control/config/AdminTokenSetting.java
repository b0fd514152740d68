package io.cutover.control.config;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code cutover.admin-token} as configured: a token; explicitly none ({@code ""}: any local
 * user and process may use the admin API); or not set, and then cutover makes one in its state
 * directory. {@link #toString()} never shows the token.
 */
public final class AdminTokenSetting {
    /** Not configured: cutover uses (or creates) {@code <state-dir>/admin-token}. */
    public static final AdminTokenSetting NOT_SET = new AdminTokenSetting(null, false);
    /** Configured as {@code ""}: the admin API takes no token. */
    public static final AdminTokenSetting NONE = new AdminTokenSetting(null, true);

    private final String token;
    private final boolean none;

    private AdminTokenSetting(String token, boolean none) {
        this.token = token;
        this.none = none;
    }

    public static AdminTokenSetting of(String token) {
        return new AdminTokenSetting(Objects.requireNonNull(token), false);
    }

    /** The configured token, if one is. */
    public Optional<String> token() {
        return Optional.ofNullable(token);
    }

    public boolean isNone() {
        return none;
    }

    public boolean isNotSet() {
        return token == null && !none;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdminTokenSetting other && none == other.none && Objects.equals(token, other.token);
    }

    @Override
    public int hashCode() {
        return Objects.hash(token, none);
    }

    @Override
    public String toString() {
        return token != null ? "AdminTokenSetting[configured]" : none ? "AdminTokenSetting[none]"
                : "AdminTokenSetting[not set: <state-dir>/admin-token]";
    }
}
