package io.cutover.control.canary;

import io.cutover.control.canary.Window.Figures;
import java.util.Locale;

/**
 * One window of a bake: the verdict on the new version's figures since the flip against the
 * previous version's just before it, and why.
 *
 * @param elapsedMs how long after the flip the window ended
 */
public record BakeWindow(long elapsedMs, Window.Verdict verdict, String why, Figures before, Figures now) {

    /** One line: verdict, why, and both sides' figures. */
    public String describe() {
        String word = verdict == Window.Verdict.ABORTED ? "roll back" : verdict.name().toLowerCase(Locale.ROOT);
        return word + " after " + elapsedMs / 1000 + " s: " + why
                + "; new version " + now + "; before the flip " + before;
    }
}
