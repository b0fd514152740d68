package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which app a request goes to, by its host and path, and what an app's rule may say: no sockets. */
class HostIndexTest {
    private final RoutingUnits units = new RoutingUnits();

    @AfterEach
    void release() {
        units.close();
    }

    private static AppRule rule(String name, String prefix, String... hosts) {
        return new AppRule(name, List.of(hosts), prefix, false);
    }

    /** The slot (index in {@code rules}) of the app that takes GET {@code target} with Host {@code host}; -1: none. */
    private int slot(List<AppRule> rules, String host, String target) {
        HostIndex.Entry e = HostIndex.of(rules).match(units.get(host, target));
        return e == null ? -1 : e.slot();
    }

    @Test
    void anExactHostWinsOverAWildcardWhichWinsOverTheAppsWithNoHosts() {
        List<AppRule> rules = List.of(rule("any", "/"), rule("wild", "/", "*.example.com"),
                rule("shop", "/", "shop.example.com"));
        assertEquals(2, slot(rules, "shop.example.com", "/"));
        assertEquals(1, slot(rules, "blog.example.com", "/"));
        assertEquals(0, slot(rules, "other.org", "/"));
    }

    @Test
    void theLongestMatchingWildcardWins() {
        List<AppRule> rules = List.of(rule("short", "/", "*.example.com"), rule("long", "/", "*.eu.example.com"));
        assertEquals(1, slot(rules, "shop.eu.example.com", "/"));
        assertEquals(0, slot(rules, "shop.us.example.com", "/"));
        rules = List.of(rule("long", "/", "*.eu.example.com"), rule("short", "/", "*.example.com"));
        assertEquals(0, slot(rules, "shop.eu.example.com", "/"));
    }

    @Test
    void aWildcardTakesOnlyNamesUnderItNotTheDomainItself() {
        List<AppRule> rules = List.of(rule("any", "/"), rule("wild", "/", "*.example.com"));
        assertEquals(0, slot(rules, "example.com", "/"));
        assertEquals(0, slot(rules, ".example.com", "/"), "an empty label is no name under the domain");
        assertEquals(0, slot(rules, "badexample.com", "/"));
        assertEquals(1, slot(rules, "a.example.com", "/"));
    }

    @Test
    void withinAHostTheLongestMatchingPathPrefixWins() {
        List<AppRule> rules = List.of(rule("site", "/", "h"), rule("api", "/api", "h"), rule("v2", "/api/v2", "h"));
        assertEquals(2, slot(rules, "h", "/api/v2/users"));
        assertEquals(1, slot(rules, "h", "/api/v1"));
        assertEquals(1, slot(rules, "h", "/api"));
        assertEquals(1, slot(rules, "h", "/api?x=1"));
        assertEquals(0, slot(rules, "h", "/apiary"), "a prefix matches whole path segments only");
        assertEquals(0, slot(rules, "h", "/"));
    }

    @Test
    void aHostWhosePrefixesDoNotMatchFallsToTheWildcardsThenToTheAppsWithNoHosts() {
        List<AppRule> rules = List.of(rule("any", "/"), rule("wild", "/docs", "*.example.com"),
                rule("shop", "/cart", "shop.example.com"));
        assertEquals(2, slot(rules, "shop.example.com", "/cart/1"));
        assertEquals(1, slot(rules, "shop.example.com", "/docs"));
        assertEquals(0, slot(rules, "shop.example.com", "/other"));
    }

    @Test
    void aRequestNoAppTakesHasNoEntry() {
        assertEquals(-1, slot(List.of(rule("shop", "/", "shop")), "blog", "/"));
        assertEquals(-1, slot(List.of(rule("api", "/api")), "any", "/web"), "one app, but not for every path");
        assertEquals(0, slot(List.of(rule("api", "/api")), "any", "/api/x"));
    }

    @Test
    void oneAppForEveryHostAndPathTakesEveryRequest() {
        assertEquals(0, slot(List.of(AppRule.catchAll("only")), "whatever", "/x/y?z"));
    }

    @Test
    void anAppWithHostsIsFoundBesideASingleAppForEveryHost() {
        assertEquals(0, slot(List.of(rule("shop", "/", "shop"), AppRule.catchAll("any")), "shop", "/"));
        assertEquals(0, slot(List.of(rule("wild", "/", "*.shop"), AppRule.catchAll("any")), "a.shop", "/"));
        assertEquals(1, slot(List.of(rule("wild", "/", "*.shop"), AppRule.catchAll("any")), "blog", "/"));
    }

    @Test
    void noAppsTakeNoRequest() {
        assertEquals(-1, slot(List.of(), "shop", "/"));
    }

    @Test
    void aTargetWithAnEmptySchemeIsRoutedByThePathAfterItsAuthority() {
        assertEquals("/y", HostIndex.path("://x/y"));
    }

    @Test
    void theHostIsMatchedWithoutItsPortCaseOrTrailingDot() {
        List<AppRule> rules = List.of(rule("any", "/"), rule("shop", "/", "shop.example"));
        assertEquals(1, slot(rules, "SHOP.Example:8080", "/"));
        assertEquals(1, slot(rules, "shop.example.", "/"));
        assertEquals(1, slot(rules, "shop.example.:80", "/"));
        assertEquals(0, slot(rules, "[::1]:8080", "/"));
    }

    @Test
    void hostNamesAreReadAsNames() {
        assertEquals("shop", HostIndex.host(" Shop:80 "));
        assertEquals("[::1]", HostIndex.host("[::1]:80"));
        assertEquals("[::1", HostIndex.host("[::1"), "an unclosed bracket is kept whole");
        assertEquals("", HostIndex.host(""));
        assertEquals("", HostIndex.host("."));
        assertEquals("a", HostIndex.host("a."));
        assertNull(HostIndex.host(null));
    }

    @Test
    void aRequestWithoutHostGoesToTheAppsWithNoHosts() {
        List<AppRule> rules = List.of(rule("shop", "/", "shop"), rule("any", "/"));
        HostIndex.Entry e = HostIndex.of(rules).match(units.head("GET / HTTP/1.0"));
        assertEquals(1, e.slot());
    }

    @Test
    void anAbsoluteFormTargetNamesTheHostAndPathOverTheHostHeader() {
        List<AppRule> rules = List.of(rule("any", "/"), rule("shop", "/cart", "shop"));
        assertEquals(1, slot(rules, "other", "http://shop:8080/cart/1?q"));
        assertEquals(0, slot(rules, "shop", "http://other/cart"));
        assertEquals("/", HostIndex.path("http://shop"));
        assertEquals("/a/b", HostIndex.path("https://shop/a/b?c=/d"));
        assertEquals("/", HostIndex.path("shop"), "no scheme: no path");
        assertEquals("/x", HostIndex.path("/x?y"));
    }

    @Test
    void aStrippedPrefixIsTakenOffTheForwardedPathButSlashIsNever() {
        List<AppRule> rules = List.of(new AppRule("api", List.of("h"), "/api", true), new AppRule("web", List.of("h"), "/", true),
                new AppRule("docs", List.of("h"), "/docs", false));
        HostIndex index = HostIndex.of(rules);
        assertEquals(4, index.match(units.get("h", "/api/x")).strip());
        assertEquals(0, index.match(units.get("h", "/web")).strip());
        assertEquals(0, index.match(units.get("h", "/docs/x")).strip());
    }

    @Test
    void twoAppsClaimingTheSameHostAndPrefixAreRefusedNamingBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AppRule.checkClaims(List.of(
                rule("a", "/api", "shop"), rule("b", "/api/", "SHOP"))));
        assertEquals("apps a and b both claim host shop with path prefix /api", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AppRule.checkClaims(List.of(
                AppRule.catchAll("a"), AppRule.catchAll("b"))));
        assertEquals("apps a and b both claim every host with path prefix /", e.getMessage());
        AppRule.checkClaims(List.of(rule("a", "/api", "shop"), rule("b", "/api", "blog"), rule("c", "/", "shop")));
    }

    @Test
    void aRuleKeepsItsHostsAsNamesAndItsPrefixWithoutATrailingSlash() {
        AppRule r = new AppRule("a", List.of(" Shop.Example. ", "*.EU.example"), "/api/", true);
        assertEquals(List.of("shop.example", "*.eu.example"), r.hosts());
        assertEquals("/api", r.pathPrefix());
        assertEquals("/", rule("b", "/").pathPrefix());
        assertEquals(new AppRule("c", List.of(), "/", false), AppRule.catchAll("c"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"api", "", "/a b", "/a?b", "/a\tb", "/a\u0000"})
    void aPathPrefixMustStartWithSlashAndHoldNoSpaceOrQuery(String prefix) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rule("a", prefix));
        assertEquals("path prefix must start with / and hold no spaces or '?', got '" + prefix + "'", e.getMessage());
    }

    @Test
    void aRuleWithoutAPathPrefixIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AppRule("a", List.of(), null, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "a*", "*", "*example.com", "a.*.com", "a/b", "a:80", "a b", "a\u0001b"})
    void aHostMustBeANameOrStarDotName(String host) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rule("a", "/", host));
        assertEquals("host '" + host.trim() + "' is not a host name, nor *.NAME", e.getMessage());
    }

    @Test
    void aHostWithAnyCharacterAboveSpaceButSlashAndColonIsAName() {
        assertEquals(List.of("a!b", "*.x"), rule("a", "/", "a!b", "*.x").hosts());
    }
}
