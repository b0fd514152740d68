package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.http.RequestHead;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The canary split and its signed cookie, decided for one request at a time: no sockets. */
class CanaryTest {
    private static final byte[] KEY = new byte[CanaryCookie.KEY_BYTES];
    private final RoutingUnits units = new RoutingUnits();
    private final Backend stable = RoutingUnits.backend(1);
    private final Backend candidate = RoutingUnits.backend(2);
    private final CanaryCookie cookie = new CanaryCookie(Router.DEFAULT_APP, KEY);

    @AfterEach
    void release() {
        units.close();
    }

    private Canary canary(int points, Canary.Allow... allow) {
        return new Canary(candidate, points, List.of(allow), cookie);
    }

    private Forward route(Canary c, Backend active, String address, String... headers) {
        String[] lines = new String[headers.length + 2];
        lines[0] = "GET / HTTP/1.1";
        lines[1] = "Host: shop";
        System.arraycopy(headers, 0, lines, 2, headers.length);
        RequestHead head = units.head(lines);
        return c.route(head, h -> address, active, 3);
    }

    @Test
    void aClientWithoutACookieGoesByItsAddressesBucketAndIsGivenItsCookie() {
        assertEquals(1546, Canary.bucketOf("10.0.0.1"));
        Forward below = route(canary(1547), stable, "10.0.0.1");
        assertSame(candidate, below.backend());
        assertEquals(3, below.strip());
        assertEquals(cookie.value(1546), below.canaryCookie());
        Forward at = route(canary(1546), stable, "10.0.0.1");
        assertSame(stable, at.backend(), "a bucket equal to the share is outside it");
        assertEquals(3, at.strip());
        assertEquals(cookie.value(1546), at.canaryCookie(), "the stable side's clients keep their bucket too");
    }

    @Test
    void aClientWithAValidCookieGoesByItsBucketAndIsGivenNoNewCookie() {
        Forward in = route(canary(101), stable, "10.0.0.1", "Cookie: cutover-canary=" + cookie.value(100));
        assertSame(candidate, in.backend());
        assertNull(in.canaryCookie());
        assertEquals(3, in.strip());
        Forward out = route(canary(100), stable, "10.0.0.1", "Cookie: cutover-canary=" + cookie.value(100));
        assertSame(stable, out.backend());
        assertNull(out.canaryCookie());
        assertEquals(3, out.strip());
    }

    @Test
    void aCookieOfBucketZeroIsABucketLikeAnyOther() {
        Forward f = route(canary(1), stable, "10.0.0.1", "Cookie: cutover-canary=" + cookie.value(0));
        assertSame(candidate, f.backend(), "bucket 0 is below a share of 1");
        assertNull(f.canaryCookie(), "the client keeps its cookie");
    }

    @Test
    void aClientOnTheStableSideOfAnAppWithNoStableVersionGoesNowhere() {
        assertNull(route(canary(0), null, "10.0.0.1"));
        assertNull(route(canary(0), null, "10.0.0.1", "Cookie: cutover-canary=" + cookie.value(100)));
    }

    @Test
    void aCookieNotSignedWithTheAppsKeyIsIgnoredAndReplaced() {
        CanaryCookie other = new CanaryCookie("other-app", KEY);
        Forward f = route(canary(1000), stable, "10.0.0.1", "Cookie: cutover-canary=" + other.value(5));
        assertSame(stable, f.backend(), "the address's bucket (1546) decides, not the forged 5");
        assertEquals(cookie.value(1546), f.canaryCookie());
    }

    @Test
    void aRequestNamingAnAllowedHeaderOrCookieValueAlwaysGoesToTheCanary() {
        Canary c = canary(0, new Canary.Allow(false, "X-Canary", "yes"), new Canary.Allow(true, "beta", "1"));
        Forward byHeader = route(c, stable, "10.0.0.1", "x-canary: yes");
        assertSame(candidate, byHeader.backend());
        assertNull(byHeader.canaryCookie(), "an allowed request gets no bucket");
        assertEquals(3, byHeader.strip());
        assertSame(candidate, route(c, stable, "10.0.0.1", "Cookie: a=b; beta=1").backend());
        assertSame(stable, route(c, stable, "10.0.0.1", "X-Canary: no").backend());
        assertSame(stable, route(c, stable, "10.0.0.1", "Beta: 1").backend(), "the cookie rule reads cookies only");
        assertSame(stable, route(c, stable, "10.0.0.1", "Cookie: x-canary=yes").backend(), "the header rule reads headers only");
        assertSame(stable, route(c, stable, "10.0.0.1").backend());
    }

    @Test
    void anAllowedCookieNameIsCaseSensitiveAndAHeaderNameIsNot() {
        assertEquals("x-canary", new Canary.Allow(false, "X-Canary", "v").name());
        assertEquals("Beta", new Canary.Allow(true, "Beta", "v").name());
    }

    @Test
    void theShareIsZeroToTenThousandBasisPoints() {
        assertEquals(0, canary(0).basisPoints());
        assertEquals(Canary.ALL, canary(Canary.ALL).basisPoints());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> canary(-1));
        assertEquals("share must be 0-10000 basis points, got -1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> canary(Canary.ALL + 1));
        assertThrows(IllegalArgumentException.class, () -> canary(50).share(Canary.ALL + 1));
    }

    @Test
    void aNewShareKeepsTheCanarysBackendAllowlistAndKey() {
        Canary c = canary(10, new Canary.Allow(false, "x", "y"));
        assertEquals(new Canary(candidate, 2500, c.allow(), cookie), c.share(2500));
    }

    @Test
    void aCanaryWithoutAKeyGivenSignsWithOneOfItsOwn() {
        Canary c = new Canary(candidate, 10, List.of());
        String v = c.cookie().value(7);
        assertEquals(7, c.cookie().bucket(v));
        assertEquals(-1, cookie.bucket(v));
    }

    /** Clients without cookies keep their side across a restart or upgrade of the proxy: the hash is fixed. */
    @Test
    void anAddressesBucketIsTheSameInEveryProcess() {
        assertEquals(1546, Canary.bucketOf("10.0.0.1"));
        assertEquals(3397, Canary.bucketOf("10.0.0.2"));
        assertEquals(184, Canary.bucketOf("192.168.1.7"));
        assertEquals(840, Canary.bucketOf("2001:db8::1"));
    }

    @Test
    void bucketsAreSpreadOverTheWholeRange() {
        int[] deciles = new int[10];
        for (int i = 0; i < 10_000; i++) {
            int b = Canary.bucketOf("10." + (i / 256) + ".0." + (i % 256));
            assertTrue(b >= 0 && b < Canary.ALL, "bucket " + b);
            deciles[b / 1000]++;
        }
        for (int n : deciles) {
            assertTrue(n > 800 && n < 1200, Arrays.toString(deciles));
        }
    }

    @Test
    void aSignedValueGivesBackItsBucket() {
        for (int b : new int[] {0, 9, 10, 99, 100, 999, 1000, 9999}) {
            String v = cookie.value(b);
            assertTrue(v.startsWith(b + "."), v);
            assertEquals(String.valueOf(b).length() + 1 + 22, v.length());
            assertEquals(b, cookie.bucket(v));
        }
        assertNotEquals(cookie.value(1), cookie.value(2));
    }

    @Test
    void aSignatureVerifiesOnlyForItsAppAndKey() {
        byte[] otherKey = KEY.clone();
        otherKey[0] = 1;
        assertEquals(-1, cookie.bucket(new CanaryCookie("default", otherKey).value(5)));
        assertEquals(-1, cookie.bucket(new CanaryCookie("defaul", KEY).value(5)));
        String v = cookie.value(5);
        assertEquals(-1, cookie.bucket("6" + v.substring(1)), "the bucket is signed");
        char last = v.charAt(v.length() - 1);
        assertEquals(-1, cookie.bucket(v.substring(0, v.length() - 1) + (last == 'A' ? 'B' : 'A')));
    }

    /** Without a separator, app "a1"'s bucket 23 and app "a"'s bucket 123 would sign the same bytes. */
    @Test
    void aSignatureOfAnotherAppDoesNotVerifyEvenWhereTheirNamesAndBucketsRunTogether() {
        String a1 = new CanaryCookie("a1", KEY).value(23);
        String forged = "123" + a1.substring(2);
        assertEquals(-1, new CanaryCookie("a", KEY).bucket(forged));
    }

    @Test
    void aKeyChangedByItsOwnerAfterwardsDoesNotChangeTheCookiesKey() {
        byte[] key = new byte[CanaryCookie.KEY_BYTES];
        CanaryCookie c = new CanaryCookie("a", key);
        String v = c.value(5);
        key[0] = 9;
        assertEquals(5, c.bucket(v));
        assertEquals(5, new CanaryCookie("a", new byte[CanaryCookie.KEY_BYTES]).bucket(v));
    }

    @Test
    void aKeyShorterThan32BytesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CanaryCookie("a", new byte[CanaryCookie.KEY_BYTES - 1]));
        assertEquals("a canary cookie key has 32 bytes, got 31", e.getMessage());
        new CanaryCookie("a", new byte[CanaryCookie.KEY_BYTES + 1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", ".", "x", "/.", ":.", "5.", "5.short"})
    void aValueThatIsNotBucketDotSignatureIsIgnored(String v) {
        assertEquals(-1, cookie.bucket(v));
    }

    @Test
    void aMalformedBucketIsIgnoredEvenWithAWellFormedSignature() {
        String sig = cookie.value(5).substring(2);
        assertEquals(5, cookie.bucket("5." + sig));
        assertEquals(-1, cookie.bucket("05." + sig), "no leading zero");
        assertEquals(-1, cookie.bucket("." + sig));
        assertEquals(-1, cookie.bucket("/." + sig));
        assertEquals(-1, cookie.bucket(":." + sig));
        assertEquals(-1, cookie.bucket("12345." + sig));
        assertEquals(-1, cookie.bucket("5." + sig + "A"));
        assertEquals(-1, cookie.bucket("5." + sig.substring(1)));
        assertEquals(-1, cookie.bucket("5." + sig.substring(1) + "!"), "not base64url");
        assertEquals(-1, cookie.bucket(null));
        String sig0 = cookie.value(0).substring(2);
        assertEquals(0, cookie.bucket("0." + sig0), "0 is no leading zero");
        String sig9999 = cookie.value(9999).substring(5);
        assertEquals(9999, cookie.bucket("9999." + sig9999));
        assertEquals(-1, cookie.bucket("99a9." + sig9999));
        String sig1000 = cookie.value(1000).substring(5);
        assertEquals(-1, cookie.bucket("0100." + sig1000));
    }
}
