package io.cutover.control.health;

import io.cutover.proxy.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One health probe: {@code GET path} on a fresh connection, on the control plane's event loop
 * (never the proxy's: whatever a probe costs, traffic does not wait for it). Completes with null
 * when the answer is 2xx, otherwise with what was wrong; never exceptionally.
 */
public final class HttpProbe {
    private final Bootstrap bootstrap;

    public HttpProbe(EventLoopGroup loop, Transport transport, Duration timeout) {
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.channel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec());
                    }
                });
    }

    /**
     * @param address the target, already resolved (name resolution may block: never on a loop)
     * @param host    the Host header to send
     */
    public CompletableFuture<String> get(InetSocketAddress address, String host, String path, Duration timeout) {
        return get(address, host, path, timeout, null);
    }

    /** The same, with an Authorization header unless {@code authorization} is null. */
    public CompletableFuture<String> get(InetSocketAddress address, String host, String path, Duration timeout,
                                  String authorization) {
        CompletableFuture<String> result = new CompletableFuture<>();
        ChannelFuture connect = bootstrap.connect(address);
        Channel ch = connect.channel();
        result.whenComplete((r, e) -> ch.close());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.complete(describe(f.cause()));
                return;
            }
            var timer = ch.eventLoop().schedule(
                    () -> result.complete("no answer within " + timeout.toMillis() + " ms"),
                    timeout.toNanos(), TimeUnit.NANOSECONDS);
            result.whenComplete((r, e) -> timer.cancel(false));
            ch.pipeline().addLast(new SimpleChannelInboundHandler<HttpObject>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                    if (msg instanceof HttpResponse r) {
                        int status = r.status().code();
                        result.complete(status >= 200 && status < 300 ? null : "status " + status);
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    result.complete("connection closed before an answer");
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    result.complete(describe(cause));
                }
            });
            FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            get.headers().set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.USER_AGENT, "cutover-health")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            if (authorization != null) {
                get.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            ch.writeAndFlush(get);
        });
        return result;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
