package io.cutover.control.deploy;

import io.cutover.proxy.Shadow;
import io.cutover.proxy.ShadowStats;
import io.cutover.proxy.Target;

/** What a deploy's shadow step asks of the app's routing; implemented over its switch by {@link SwitchRouting}. */
interface ShadowRouting {
    /** Copies {@code percent}% of the live version's GET and HEAD requests to {@code target} from now on. */
    Shadow shadowStart(Target target, String version, int percent, int maxInFlight);

    /** Ends the shadow; what its copies came to (null if there was none). May block briefly. */
    ShadowStats.Snapshot shadowStop();
}
