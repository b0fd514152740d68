package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.concurrent.DefaultEventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The routing table: what each request is routed to, and each change as one flip. No sockets. */
class RouterTest {
    private static final ClientAddress CLIENT = head -> "10.0.0.1";
    private final RoutingUnits units = new RoutingUnits();
    private final Router router = new Router();

    @AfterEach
    void release() {
        units.close();
    }

    private Route route(String host, String target) {
        return router.route(units.get(host, target), CLIENT);
    }

    private static Backend forwardedTo(Route r) {
        return assertInstanceOf(Forward.class, r).backend();
    }

    @Test
    void anAppWithNoVersionYetRoutesNowhere() {
        assertNull(router.active());
        assertNull(route("h", "/"));
        assertNull(router.route(), "nothing to measure either");
    }

    @Test
    void aFlipRoutesTheNextRequestToTheNewBackendCountedInAndHandsBackTheOld() {
        Backend v1 = RoutingUnits.backend(1);
        Backend v2 = RoutingUnits.backend(2);
        assertNull(router.flip(v1), "the first switch has nothing to drain");
        Forward f = assertInstanceOf(Forward.class, route("h", "/"));
        assertSame(v1, f.backend());
        assertEquals(0, f.strip());
        assertNull(f.canaryCookie());
        assertNull(f.shadow());
        assertEquals(1, v1.inFlight(), "the request is counted in where it goes");

        assertSame(v1, router.flip(v2));
        assertSame(v2, router.active());
        assertSame(v2, forwardedTo(route("h", "/")));
        assertEquals(1, v2.inFlight());
        assertEquals(1, v1.inFlight(), "a request under way stays where it is");
    }

    @Test
    void measuringRoutingCountsTheRequestInOnTheActiveBackend() {
        Backend v1 = RoutingUnits.backend(1);
        router.flip(v1);
        assertSame(v1, router.route());
        assertEquals(1, v1.inFlight());
    }

    @Test
    void aBackendThatStartedDrainingTakesNoNewRequest() throws Exception {
        Backend v1 = RoutingUnits.backend(1);
        Backend v2 = RoutingUnits.backend(2);
        router.flip(v1);
        DefaultEventExecutor timer = new DefaultEventExecutor();
        try {
            router.flip(v2);
            v1.drain(Duration.ofMinutes(1), timer).get(10, TimeUnit.SECONDS);
            assertSame(v2, forwardedTo(route("h", "/")));
            assertEquals(0, v1.inFlight());
        } finally {
            timer.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void maintenanceAnswersEveryRequestBeforeAPauseOrTheApp() {
        Backend v1 = RoutingUnits.backend(1);
        router.flip(v1);
        AppRouter app = router.app(Router.DEFAULT_APP);
        Maintenance m = Maintenance.of(null, 30);
        Pause p = new Pause(Duration.ofSeconds(5), 10, null);
        app.pause(p);
        assertSame(p, router.pause());
        assertSame(p, route("h", "/"), "a paused app holds its requests");
        router.maintenance(m);
        assertSame(m, router.maintenance());
        assertSame(m, route("h", "/"), "maintenance wins over a pause");
        router.maintenance(null);
        assertNull(router.maintenance());
        app.pause(null);
        assertNull(router.pause());
        assertSame(v1, forwardedTo(route("h", "/")));
        assertEquals(1, v1.inFlight(), "only the request forwarded was counted in");
    }

    @Test
    void aRequestNoAppTakesIsNotFound() {
        router.define(List.of(new AppRule("shop", List.of("shop"), "/", false)));
        assertSame(NotFound.INSTANCE, route("blog", "/"));
    }

    @Test
    void theLoadBalancersCheckIsAnsweredBeforeAnyAppIsLookedUp() {
        Backend v1 = RoutingUnits.backend(1);
        router.flip(v1);
        LbHealth lb = new LbHealth("/lb");
        router.lbHealth(lb);
        assertSame(lb, router.lbHealth());
        assertSame(lb, route("h", "/lb"));
        assertSame(v1, forwardedTo(route("h", "/lbx")));
        router.lbHealth(null);
        assertSame(v1, forwardedTo(route("h", "/lb")));
    }

    @Test
    void eachAppIsRoutedByItsRuleWithItsPrefixStripped() {
        List<AppRoute> gone = router.define(List.of(new AppRule("api", List.of("shop"), "/api", true),
                new AppRule("web", List.of("shop"), "/", false)));
        assertEquals(List.of(Router.DEFAULT_APP), gone.stream().map(AppRoute::name).toList());
        Backend api = RoutingUnits.backend("api", 1, "a1");
        Backend web = RoutingUnits.backend("web", 2, "w1");
        router.app("api").flip(api);
        router.app("web").flip(web);
        Forward f = assertInstanceOf(Forward.class, route("shop", "/api/users"));
        assertSame(api, f.backend());
        assertEquals(4, f.strip());
        assertSame(web, forwardedTo(route("shop", "/apix")));
        assertEquals(List.of("api", "web"), router.rules().stream().map(AppRule::name).toList());
    }

    @Test
    void anAppThatStaysKeepsItsVersionCanaryMaintenanceAndPauseAcrossANewDefinition() {
        Backend v1 = RoutingUnits.backend(1);
        router.flip(v1);
        Maintenance m = Maintenance.of("<p>x</p>", 5);
        router.maintenance(m);
        AppRoute before = router.entry(Router.DEFAULT_APP);
        List<AppRoute> gone = router.define(List.of(AppRule.catchAll(Router.DEFAULT_APP),
                new AppRule("blog", List.of("blog"), "/", false)));
        assertEquals(List.of(), gone);
        assertSame(before, router.entry(Router.DEFAULT_APP));
        assertSame(m, route("shop", "/"));
        AppRoute blog = router.entry("blog");
        assertEquals(AppRoute.empty("blog").name(), blog.name());
        assertNull(blog.active(), "a new app has no version yet");
        assertNull(route("blog", "/"));
    }

    @Test
    void aDefinitionThatNamesAnAppTwiceOrClaimsTwiceChangesNothing() {
        List<AppRule> before = router.rules();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> router.define(List.of(
                new AppRule("a", List.of("x"), "/", false), new AppRule("a", List.of("y"), "/", false))));
        assertEquals("app a is named twice", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> router.define(List.of(
                new AppRule("a", List.of("x"), "/", false), new AppRule("b", List.of("x"), "/", false))));
        assertEquals(before, router.rules());
        assertNotNull(router.entry(Router.DEFAULT_APP));
    }

    @Test
    void anUnknownAppIsRefusedAndAnAppNoLongerRoutedTooOnItsNextChange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> router.app("nope"));
        assertEquals("no app nope", e.getMessage());
        assertNull(router.entry("nope"));
        AppRouter app = router.app(Router.DEFAULT_APP);
        assertEquals(Router.DEFAULT_APP, app.name());
        router.define(List.of(AppRule.catchAll("other")));
        IllegalStateException gone = assertThrows(IllegalStateException.class, app::active);
        assertEquals("app default is no longer routed", gone.getMessage());
        assertThrows(IllegalArgumentException.class, () -> app.flip(RoutingUnits.backend(1)));
    }

    @Test
    void aCanaryStartsReplacesAndEndsInOneFlipEachAndPromotionMakesItActive() {
        Backend stable = RoutingUnits.backend(1);
        Backend candidate = RoutingUnits.backend(2);
        router.flip(stable);
        AppRouter app = router.app(Router.DEFAULT_APP);
        Canary all = new Canary(candidate, Canary.ALL, List.of());
        assertNull(app.canary(all));
        assertSame(all, app.canary());
        Forward f = assertInstanceOf(Forward.class, route("h", "/"));
        assertSame(candidate, f.backend(), "at 100% every new client goes to the canary");
        assertNotNull(f.canaryCookie());
        Canary none = all.share(0);
        assertSame(all, app.canary(none));
        assertSame(stable, forwardedTo(route("h", "/")));

        assertSame(stable, app.promote(), "the version replaced is handed back to drain");
        assertSame(candidate, app.active());
        assertNull(app.canary());
        Forward after = assertInstanceOf(Forward.class, route("h", "/"));
        assertSame(candidate, after.backend());
        assertNull(after.canaryCookie(), "no canary, no cookie");
    }

    @Test
    void promotingWithoutACanaryIsRefusedAndChangesNothing() {
        Backend stable = RoutingUnits.backend(1);
        router.flip(stable);
        AppRouter app = router.app(Router.DEFAULT_APP);
        IllegalStateException e = assertThrows(IllegalStateException.class, app::promote);
        assertEquals("app default has no canary", e.getMessage());
        assertSame(stable, app.active());
    }

    @Test
    void anAppWithACanaryAndNoStableVersionRoutesTheOthersNowhere() {
        Backend candidate = RoutingUnits.backend(2);
        router.app(Router.DEFAULT_APP).canary(new Canary(candidate, 0, List.of()));
        assertNull(route("h", "/"));
    }

    @Test
    void aShadowGetsACopyOfTheActiveVersionsGetRequestsAndClientsAreStillAnsweredByTheActive() {
        Backend active = RoutingUnits.backend(1);
        Backend candidate = RoutingUnits.backend(2);
        router.flip(active);
        AppRouter app = router.app(Router.DEFAULT_APP);
        Shadow s = new Shadow(candidate, Canary.ALL, 4, Duration.ofSeconds(1));
        assertNull(app.shadow(s));
        assertSame(s, app.shadow());
        Forward f = assertInstanceOf(Forward.class, route("h", "/a"));
        assertSame(active, f.backend());
        assertSame(s, f.shadow());
        assertSame(s, app.shadow(null));
        assertNull(assertInstanceOf(Forward.class, route("h", "/a")).shadow());
    }

    @Test
    void everyRoutedGetIsOfferedToTheAppsSampleWithoutItsPrefix() {
        router.define(List.of(new AppRule("api", List.of(), "/api", true)));
        AppRouter app = router.app("api");
        app.flip(RoutingUnits.backend("api", 1, "a"));
        route("h", "/api/users?id=1");
        assertEquals(List.of("/users"), app.sample().targets());
        assertSame(app.sample(), router.entry("api").sample(), "the sample stays the same object across entries");
    }

    @Test
    void anEntryChangeKeepsEveryOtherPartOfTheEntry() {
        Backend b = RoutingUnits.backend(1);
        Canary c = new Canary(RoutingUnits.backend(2), 5, List.of());
        Maintenance m = Maintenance.of(null, 1);
        Pause p = new Pause(Duration.ofSeconds(1), 1, null);
        Shadow s = new Shadow(RoutingUnits.backend(3), 1, 1, Duration.ofSeconds(1));
        AppRoute e = AppRoute.empty("a").withActive(b).withCanary(c).withMaintenance(m).withPause(p).withShadow(s);
        assertEquals(new AppRoute("a", b, c, m, p, s, e.sample()), e);
        assertEquals(e, e.withActive(b).withCanary(c).withMaintenance(m).withPause(p).withShadow(s));
        assertFalse(e.withActive(null).equals(e));
        assertTrue(e.sample() != null);
    }
}
