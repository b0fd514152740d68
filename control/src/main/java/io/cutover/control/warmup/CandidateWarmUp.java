package io.cutover.control.warmup;

import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.loop.ControlLoop;
import io.cutover.proxy.PathSample;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Warms a new version up before it takes traffic: GET requests on targets from the app's
 * {@link PathSample} (its health path when the sample is empty), {@value #IN_FLIGHT} at a time on
 * kept-alive connections, each with a timeout, until the count is sent or the time is up. They
 * carry no client header: only Host (the version's address, as for its health check) and
 * {@code X-Cutover-Warm-Up: 1}. Runs on the control loop (never the proxy's), without blocking;
 * the caller waits on {@link Warming#done()} from a thread that may.
 */
public final class CandidateWarmUp {
    /** Requests in flight at once. */
    static final int IN_FLIGHT = 4;
    /** How long one request may take before it counts as unanswered (its connection closed). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** How long a warm-up by count may take at most: it stops there, with what it sent. */
    static final Duration COUNT_LIMIT = Duration.ofMinutes(5);
    /** A pause after a connection that failed, so that a version refusing them is not hammered. */
    private static final long RECONNECT_PAUSE_MS = 50;
    /** The header every warm-up request carries. */
    public static final String HEADER = "X-Cutover-Warm-Up";
    private static final int SAMPLE = 100;

    private final ControlLoop control;
    private final Bootstrap bootstrap;
    private final PathSample sample;
    private final String healthPath;
    private final Ticker ticker;

    /**
     * @param sample     the app's sample of live GET targets
     * @param healthPath where requests go when the sample is empty
     */
    public CandidateWarmUp(ControlLoop control, PathSample sample, String healthPath, Ticker ticker) {
        this.control = control;
        this.sample = sample;
        this.healthPath = healthPath;
        this.ticker = ticker;
        this.bootstrap = new Bootstrap()
                .group(control.group())
                .channel(control.transport().channel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) REQUEST_TIMEOUT.toMillis())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec());
                    }
                });
    }

    /**
     * Starts warming {@code target} up as {@code plan} says (not off). Resolves the target's name,
     * which may block: call it from a thread that may.
     */
    public Warming start(Target target, WarmUpSettings plan) {
        InetSocketAddress address = target.resolve();
        List<String> paths = sample.targets();
        String where = paths.isEmpty() ? "the health path " + healthPath
                : paths.size() + " sampled paths (" + new HashSet<>(paths).size() + " different)";
        Run run = new Run(target.toString(), address, paths.isEmpty() ? List.of(healthPath) : paths, plan, where);
        control.executor().execute(run::begin);
        return run;
    }

    /** One warm-up under way. All its state but {@link #cancelled} is the control loop's. */
    private final class Run implements Warming {
        private final String host;
        private final InetSocketAddress address;
        private final List<String> paths;
        private final WarmUpSettings plan;
        private final String where;
        private final CompletableFuture<WarmUpResult> done = new CompletableFuture<>();
        private volatile String cancelled;
        private long start;
        private long deadline;
        private int issued;
        private int lanesRunning;
        private long count;
        private long ok;
        private long redirects;
        private long clientErrors;
        private long serverErrors;
        private long noAnswer;
        private final long[] first = new long[SAMPLE];
        private final long[] last = new long[SAMPLE];
        private String stoppedWhy;

        private Run(String host, InetSocketAddress address, List<String> paths, WarmUpSettings plan, String where) {
            this.host = host;
            this.address = address;
            this.paths = paths;
            this.plan = plan;
            this.where = where;
        }

        @Override
        public CompletableFuture<WarmUpResult> done() {
            return done;
        }

        @Override
        public void cancel(String why) {
            cancelled = why;
        }

        private void begin() {
            start = ticker.nanos();
            deadline = start + (plan.requests() > 0 ? COUNT_LIMIT : plan.duration()).toNanos();
            lanesRunning = IN_FLIGHT;
            for (int i = 0; i < IN_FLIGHT; i++) {
                new Lane(this).next();
            }
        }

        /** The next target to send, or null when the warm-up is over. */
        private String nextPath() {
            String why = cancelled;
            if (why != null) {
                stoppedWhy = why;
                return null;
            }
            if (plan.requests() > 0 && issued >= plan.requests()) {
                return null;
            }
            if (ticker.nanos() - deadline >= 0) {
                if (plan.requests() > 0) {
                    stoppedWhy = "at the limit of " + COUNT_LIMIT.toMinutes() + " min, " + issued + " of "
                            + plan.requests() + " sent";
                }
                return null;
            }
            return paths.get(issued++ % paths.size());
        }

        private void ended(int status, long nanos) {
            long micros = nanos / 1000;
            if (count < SAMPLE) {
                first[(int) count] = micros;
            }
            last[(int) (count % SAMPLE)] = micros;
            count++;
            if (status == 0) {
                noAnswer++;
            } else if (status < 300) {
                ok++;
            } else if (status < 400) {
                redirects++;
            } else if (status < 500) {
                clientErrors++;
            } else {
                serverErrors++;
            }
        }

        private void laneDone() {
            if (--lanesRunning == 0) {
                int n = (int) Math.min(count, SAMPLE);
                done.complete(new WarmUpResult(count, Duration.ofNanos(ticker.nanos() - start), ok, redirects,
                        clientErrors, serverErrors, noAnswer, WarmUpResult.p99(first, n), WarmUpResult.p99(last, n),
                        n, n, where, stoppedWhy));
            }
        }
    }

    /** One request at a time, on one connection kept alive while the version allows it. */
    private final class Lane {
        private final Run run;
        private Channel channel;
        /** The handler of the request in flight, or null. */
        private Answer waiting;

        Lane(Run run) {
            this.run = run;
        }

        void next() {
            String path = run.nextPath();
            if (path == null) {
                if (channel != null) {
                    channel.close();
                    channel = null;
                }
                run.laneDone();
                return;
            }
            if (channel != null && channel.isActive()) {
                send(channel, path);
                return;
            }
            ChannelFuture connect = bootstrap.connect(run.address);
            connect.addListener(f -> {
                Channel ch = connect.channel();
                if (!f.isSuccess()) {
                    run.ended(0, 0);
                    ch.eventLoop().schedule(this::next, RECONNECT_PAUSE_MS, TimeUnit.MILLISECONDS);
                    return;
                }
                channel = ch;
                send(ch, path);
            });
        }

        private void send(Channel ch, String path) {
            Answer a = new Answer(this, ch, ticker.nanos());
            waiting = a;
            ch.pipeline().addLast(a);
            a.timer = ch.eventLoop().schedule(() -> a.end(0), REQUEST_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
            FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            get.headers().set(HttpHeaderNames.HOST, run.host).set(HEADER, "1");
            ch.writeAndFlush(get);
        }
    }

    /** Waits for one answer on a lane's connection; ends the request once, however it ends. */
    private final class Answer extends SimpleChannelInboundHandler<HttpObject> {
        private final Lane lane;
        private final Channel channel;
        private final long sent;
        private ScheduledFuture<?> timer;
        private int status;
        private boolean keepAlive;

        Answer(Lane lane, Channel channel, long sent) {
            this.lane = lane;
            this.channel = channel;
            this.sent = sent;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse r) {
                status = r.status().code();
                keepAlive = HttpUtil.isKeepAlive(r);
            }
            if (msg instanceof LastHttpContent && status != 0) {
                end(status);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(0);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(0);
        }

        /** The request ended with {@code answered} (0: no answer): counted, then the lane goes on. */
        void end(int answered) {
            if (lane.waiting != this) {
                return;         // ended already
            }
            lane.waiting = null;
            if (timer != null) {
                timer.cancel(false);
            }
            lane.run.ended(answered, ticker.nanos() - sent);
            if (channel.pipeline().context(this) != null) {
                channel.pipeline().remove(this);
            }
            if (answered == 0 || !keepAlive) {
                channel.close();
                if (lane.channel == channel) {
                    lane.channel = null;
                }
            }
            lane.next();
        }
    }
}
