package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;

/** Who sent a request, after the trusted-proxy rules: what a canary splits clients without cookies by. */
@FunctionalInterface
public interface ClientAddress {
    String address(RequestHead head);
}
