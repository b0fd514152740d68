package io.cutover.proxy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * The JDK HTTP client as tests use it: HTTP/1.1, and a bound on every wait, so a proxy that goes
 * silent fails a test instead of hanging it.
 */
public final class TestHttp {
    /** How long a request may wait for its response. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private TestHttp() {
    }

    public static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    /** A request builder whose response must start within {@link #TIMEOUT}. */
    public static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(TIMEOUT);
    }

    public static HttpRequest.Builder request(String uri) {
        return request(URI.create(uri));
    }
}
