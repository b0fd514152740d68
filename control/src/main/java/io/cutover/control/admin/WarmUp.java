package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.ApiModel.SwitchRequest;
import io.cutover.control.admin.ApiModel.SwitchResponse;
import io.cutover.control.health.HttpProbe;
import io.cutover.control.loop.ControlLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a switch's code paths at start-up, in the background on the control loop: admin
 * requests (the probe asks the admin API itself for its status) and health probes, a few hundred
 * times, so that the JVM has loaded and compiled them before the first real switch. Cold, the
 * first switch after start-up took half a second to reach the new backend, and later ones
 * several milliseconds of interpreted code.
 */
public final class WarmUp {
    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
    static final int ROUNDS = 400;
    /** A switch's body as the admin server hands it over: bytes (Jackson's byte parser, not its char one). */
    private static final byte[] SWITCH = "{\"target\": \"127.0.0.1:1\"}".getBytes(StandardCharsets.UTF_8);

    private static final String WRONG_METHOD = "status 405";

    private final HttpProbe probe;
    private final InetSocketAddress admin;
    private final ObjectMapper json;
    /** What the admin API asks for, so the warm-up takes the path real requests take (not the 401's). */
    private final String authorization;

    private WarmUp(HttpProbe probe, InetSocketAddress admin, ObjectMapper json, String authorization) {
        this.probe = probe;
        this.admin = admin;
        this.json = json;
        this.authorization = authorization;
    }

    /** Starts warming up; the future completes once done (or gave up: a warm-up never fails anything). */
    public static CompletableFuture<Void> start(ControlLoop control, InetSocketAddress admin, ObjectMapper json,
                                         String authorization) {
        WarmUp w = new WarmUp(new HttpProbe(control.group(), control.transport(), Duration.ofSeconds(1)), admin, json,
                authorization);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long start = System.nanoTime();
        control.executor().execute(() -> w.round(ROUNDS, done));
        return done.whenComplete((v, e) -> log.debug("warm-up took {} ms",
                Duration.ofNanos(System.nanoTime() - start).toMillis()));
    }

    private void round(int left, CompletableFuture<Void> done) {
        if (left == 0) {
            done.complete(null);
            return;
        }
        try {
            SwitchRequest request = json.readValue(SWITCH, SwitchRequest.class);
            json.treeToValue(json.readTree(SWITCH).get("target"), Object.class);   // what the audit records of it
            json.writeValueAsBytes(new SwitchResponse(null, request.target(), true, 1));
        } catch (IOException e) {
            done.complete(null);
            return;
        }
        probe.get(admin, "127.0.0.1", "/v1/status", Duration.ofSeconds(1), authorization).whenComplete((problem, e) -> {
            if (e != null || problem != null) {     // say, cutover stops under way: nothing more to warm
                done.complete(null);
                return;
            }
            // GET /v1/switch: refused with 405 before any lock is taken and never audited, it
            // runs the server's request path up to the switch's route, which then links at once
            probe.get(admin, "127.0.0.1", "/v1/switch", Duration.ofSeconds(1), authorization)
                    .whenComplete((refused, e2) -> {
                        if (e2 != null || !WRONG_METHOD.equals(refused)) {
                            done.complete(null);
                        } else {
                            round(left - 1, done);
                        }
                    });
        });
    }
}
