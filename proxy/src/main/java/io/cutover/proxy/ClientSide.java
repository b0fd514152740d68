package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;

/**
 * What an {@link Exchange} needs of its client connection, besides writing to it: to stop and
 * resume reading the request, to arm the connection's timer, to open a tunnel, and to be told how
 * the exchange ended. {@link FrontendHandler} implements it.
 */
interface ClientSide {
    /** The backend connection cannot take the body yet (opening, or its buffer is full), or can again. */
    void backendBlocked(boolean blocked);

    /** Makes sure the connection's timer goes off by {@code deadline} (a {@link Ticker} value). */
    void armTimer(long deadline);

    /** The backend accepted an upgrade: from now on the client's bytes pass through. */
    void openTunnel();

    /** Whether a graceful stop reached the connection (a response then says Connection: close). */
    boolean stopping();

    /** The client, after the trusted-proxy rules, for a request. */
    String client(RequestHead head);

    /** The exchange delivered its whole response; read the next request or close. */
    void exchangeDone(boolean keepAlive);

    /**
     * The exchange failed before its response started: answer {@code error}; the connection is
     * kept only when {@code keepAlive} (the request is complete and said so).
     */
    void exchangeFailed(ProxyError error, boolean keepAlive);

    /** The exchange failed mid-response: the client cannot be told, only cut off. */
    void exchangeCut();
}
