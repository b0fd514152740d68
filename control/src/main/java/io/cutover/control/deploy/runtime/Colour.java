package io.cutover.control.deploy.runtime;

import java.util.Locale;

/** The two slots an app alternates between; each has its own port. */
public enum Colour {
    BLUE, GREEN;

    public Colour other() {
        return this == BLUE ? GREEN : BLUE;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
