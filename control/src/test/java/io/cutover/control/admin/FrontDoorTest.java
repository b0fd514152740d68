package io.cutover.control.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * What the admin API's front door lets through, on request objects alone (no sockets): the
 * handler answers 403 with the reason given here (AdminFrontDoorTest sees that over HTTP).
 */
class FrontDoorTest {
    private static final String BAD_HOST = "the Host header must be an IP address, localhost or a name in cutover.admin-hosts";
    private static final String ORIGIN = "requests from web pages (with an Origin header) are refused";
    private static final String FETCH_SITE =
            "requests from web pages (Sec-Fetch-Site other than none or same-origin) are refused";
    private static final String NOT_JSON = "a POST must have Content-Type: application/json";

    private final FrontDoor door = new FrontDoor(List.of("deploy.example.org"));

    /** A request as the test writes it: header values not checked, so a value with spaces around it goes as it is. */
    private static HttpRequest request(HttpVersion version, HttpMethod method, String uri) {
        return new DefaultHttpRequest(version, method, uri,
                DefaultHttpHeadersFactory.headersFactory().withValidation(false));
    }

    private static HttpRequest get(String host) {
        HttpRequest r = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/status");
        if (host != null) {
            r.headers().add("Host", host);
        }
        return r;
    }

    private static HttpRequest post(String... contentTypes) {
        HttpRequest r = request(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/deploy");
        r.headers().add("Host", "127.0.0.1:9090");
        for (String t : contentTypes) {
            r.headers().add("Content-Type", t);
        }
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.1:9090", "10.1.2.3:1", "LOCALHOST", "localhost:9090", "localhost.",
            "localhost.:9090", " localhost ", "[::1]", "[::1]:9090", "[fe80::1]:65535", "deploy.example.org",
            "Deploy.Example.Org:443", "deploy.example.org."})
    void anIpAddressLocalhostOrAConfiguredNameWithOrWithoutAPortIsLetThrough(String host) {
        assertNull(door.refusal(get(host)), host);
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil.example.com", "evil.example.com:9090", "deploy.example.org.evil.com", "127.0.0.1:",
            "127.0.0.1:123456", "127.0.0.1:90a", "localhost:-1", "[::1", "[::1]x", "[::1]:", "[not-v6]:80",
            "[127.0.0.1]", "", "localhost..", "999.0.0.1"})
    void aHostThatIsNotAnIpAddressLocalhostOrAConfiguredNameIsRefused(String host) {
        assertEquals(BAD_HOST, door.refusal(get(host)), host);
    }

    @Test
    void noHostIsLetThroughOnlyInHttp10AndTwoHostsNever() {
        assertNull(door.refusal(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/v1/status")));
        assertEquals(BAD_HOST, door.refusal(get(null)), "HTTP/1.1 requires a Host");
        HttpRequest two = get("127.0.0.1");
        two.headers().add("Host", "127.0.0.1");
        assertEquals("more than one Host header", door.refusal(two));
    }

    @Test
    void anyOriginIsRefusedEvenThisHostsOwn() {
        HttpRequest r = get("127.0.0.1:9090");
        r.headers().add("Origin", "http://127.0.0.1:9090");
        assertEquals(ORIGIN, door.refusal(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "same-origin", " Same-Origin ", "NONE"})
    void secFetchSiteNoneOrSameOriginIsLetThrough(String site) {
        HttpRequest r = get("127.0.0.1");
        r.headers().add("Sec-Fetch-Site", site);
        assertNull(door.refusal(r), site);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cross-site", "same-site", ""})
    void secFetchSiteFromAnotherSiteIsRefused(String site) {
        HttpRequest r = get("127.0.0.1");
        r.headers().add("Sec-Fetch-Site", site);
        assertEquals(FETCH_SITE, door.refusal(r), site);
    }

    @Test
    void aSecondSecFetchSiteFromAnotherSiteIsRefusedAfterAFirstThatPasses() {
        HttpRequest r = get("127.0.0.1");
        r.headers().add("Sec-Fetch-Site", "none");
        r.headers().add("Sec-Fetch-Site", "cross-site");
        assertEquals(FETCH_SITE, door.refusal(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "Application/JSON", "application/json; charset=utf-8",
            " application/json ;charset=utf-8"})
    void aPostOfJsonIsLetThrough(String type) {
        assertNull(door.refusal(post(type)), type);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/jsonx", ""})
    void aPostThatIsNotJsonIsRefused(String type) {
        assertEquals(NOT_JSON, door.refusal(post(type)), type);
    }

    @Test
    void aPostWithoutAContentTypeOrWithTwoIsRefusedWhileAGetNeedsNone() {
        assertEquals(NOT_JSON, door.refusal(post()));
        assertEquals(NOT_JSON, door.refusal(post("application/json", "application/json")));
        assertNull(door.refusal(get("127.0.0.1")));
    }

    @Test
    void theHostIsCheckedBeforeTheOriginAndTheOriginBeforeTheContentType() {
        HttpRequest r = request(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/deploy");
        r.headers().add("Host", "evil.example.com");
        r.headers().add("Origin", "http://evil.example.com");
        assertEquals(BAD_HOST, door.refusal(r));
        r.headers().set("Host", "127.0.0.1");
        assertEquals(ORIGIN, door.refusal(r));
    }
}
