package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** `cutover demo` runs its six deploys under load, fails no request, and stops what it started. */
class DemoTest {

    @Test
    @Timeout(180)
    void theDemoDeploysRefusesRollsBackAbortsAndPromotesWithNoFailedRequestAndLeavesNothingRunning() {
        CliRun r = CliRun.of("demo", "--quick", "--max-requests", "400000");
        assertEquals(0, r.code(), r.out() + r.err());
        String out = r.out();
        for (String seen : List.of("== 1/6", "== 6/6", "switched", "health", "rollback", "canary aborted",
                "promoted", "answered by")) {
            assertTrue(out.contains(seen), seen + " is missing:\n" + out);
        }
        Matcher m = Pattern.compile("demo finished: ([\\d,]+) requests sent, 0 failed").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Long.parseLong(m.group(1).replace(",", "")) > 0, out);
        assertTrue(out.lines().reduce((a, b) -> b).orElse("").startsWith("demo finished:"), "it ends with the summary");
        assertEquals(0, ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(l -> l.contains("cutover-demo-run")).orElse(false)).count(),
                "no demo app process is left");
    }
}
