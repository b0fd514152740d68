package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries admin requests to {@link AdminApi} and its replies back as JSON, on the control loop
 * (the API never blocks). Shared by every admin connection: it keeps no state.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    /** Fired on every connection when the admin API closes: it closes once its reply (if any) is written. */
    static final Object CLOSING = new Object();
    /** Requests of a connection not yet answered, and whether it closes after them; touched on its loop only. */
    private static final io.netty.util.AttributeKey<int[]> IN_FLIGHT = io.netty.util.AttributeKey.valueOf("in-flight");
    private static final io.netty.util.AttributeKey<Boolean> CLOSE_AFTER = io.netty.util.AttributeKey.valueOf("close-after");

    private final AdminApi api;
    private final ObjectMapper json;
    private final AdminAuth auth;
    private final FrontDoor frontDoor;

    AdminHandler(AdminApi api, ObjectMapper json, AdminAuth auth, FrontDoor frontDoor) {
        this.api = api;
        this.json = json;
        this.auth = auth;
        this.frontDoor = frontDoor;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            write(ctx, new AdminApi.Reply(400, new ApiModel.ErrorResponse(400, "malformed request")), false);
            return;
        }
        String refused = frontDoor.refusal(request);
        if (refused != null) {
            log.debug("admin request refused: {}", refused);
            write(ctx, api.reply(new ApiException(403, refused)), false);
            return;
        }
        // on the unix socket (cutover.admin-socket) its mode and the peer check are the gate
        if (!(ctx.channel() instanceof io.netty.channel.unix.DomainSocketChannel)
                && !auth.allows(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            write(ctx, api.reply(new ApiException(401, "missing or wrong token: send Authorization: Bearer <token> "
                    + "(cutover.admin-token, or else the one in <state-dir>/admin-token)")), keepAlive);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        java.util.List<String> app = uri.parameters().get("app");
        byte[] body = ByteBufUtil.getBytes(request.content());
        inFlight(ctx)[0]++;
        java.util.Map<String, String> query = new java.util.HashMap<>();
        uri.parameters().forEach((k, v) -> {
            if (!v.isEmpty()) {
                query.put(k, v.get(0));
            }
        });
        api.handle(new AdminApi.Call(request.method().name(), uri.path(), app == null || app.isEmpty() ? null : app.get(0),
                        body, client(ctx), query))
                .whenComplete((reply, error) -> ctx.executor().execute(() -> {
                    inFlight(ctx)[0]--;
                    write(ctx, reply != null ? reply : api.reply(error), keepAlive);
                }));
    }

    /**
     * Who is on the other end, for the audit trail: "tcp ADDRESS:PORT", or on the unix socket the
     * peer's user and process as the kernel tells them ("unix uid 1000 pid 4242"). Never the token.
     */
    static String client(ChannelHandlerContext ctx) {
        if (ctx.channel() instanceof io.netty.channel.epoll.EpollDomainSocketChannel unix) {
            try {
                io.netty.channel.unix.PeerCredentials peer = unix.peerCredentials();
                return "unix uid " + peer.uid() + " pid " + peer.pid();
            } catch (java.io.IOException e) {
                return "unix";
            }
        }
        java.net.SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
            return "tcp " + inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(remote);
    }

    private static int[] inFlight(ChannelHandlerContext ctx) {
        int[] n = ctx.channel().attr(IN_FLIGHT).get();
        if (n == null) {
            n = new int[1];
            ctx.channel().attr(IN_FLIGHT).set(n);
        }
        return n;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof io.netty.handler.timeout.IdleStateEvent) {
            // silent for the idle timeout: a stuck or slow client, unless it waits for its answer
            // (an upgrade waits for a new JVM to start and check its apps)
            if (inFlight(ctx)[0] == 0) {
                ctx.close();
            }
        } else if (evt == CLOSING) {
            ctx.channel().attr(CLOSE_AFTER).set(true);
            if (inFlight(ctx)[0] == 0) {
                ctx.close();
            }
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    private void write(ChannelHandlerContext ctx, AdminApi.Reply reply, boolean keepAlive) {
        keepAlive = keepAlive && !(Boolean.TRUE.equals(ctx.channel().attr(CLOSE_AFTER).get()) && inFlight(ctx)[0] == 0);
        byte[] bytes;
        String contentType = HttpHeaderValues.APPLICATION_JSON.toString();
        try {
            if (reply.body() instanceof AdminApi.Text text) {
                bytes = text.body().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                contentType = text.contentType();
            } else {
                bytes = json.writeValueAsBytes(reply.body());
            }
        } catch (Exception e) {
            log.error("cannot write admin reply", e);
            bytes = "{\"status\":500,\"error\":\"internal error\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (reply.status() == 401) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof ReadTimeoutException)) {
            log.debug("admin connection failed", cause);
        }
        ctx.close();
    }
}
