package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The admin API speaks plain HTTP: a rollout sends its token to this machine's loopback only, unless told. */
class RolloutPlainHttpTest {

    @Test
    void aRolloutToARemoteHostIsRefusedBeforeAnythingIsSent() {
        CliRun r = CliRun.of("rollout", "--hosts", "127.0.0.1:1,192.0.2.7:8099", "--admin-token", "secret", "v2");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("192.0.2.7:8099 is not on this machine"), r.err());
        assertTrue(r.err().contains("ssh tunnel"), r.err());
        assertFalse(r.out().contains("127.0.0.1:1"), "nothing was asked of any host: " + r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:8099", "127.3.4.5:1", "[::1]:8099", "localhost:8099"})
    void loopbackAddressesAreThisMachine(String address) {
        assertTrue(RolloutCommand.loopback(address), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"192.0.2.7:8099", "10.0.1.5:8099", "[2001:db8::1]:8099", "app.example:8099",
        "127.0.0.1.example:1", "nonsense"})
    void anyOtherAddressIsNot(String address) {
        assertFalse(RolloutCommand.loopback(address), address);
    }
}
