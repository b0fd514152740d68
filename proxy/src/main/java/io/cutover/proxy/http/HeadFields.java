package io.cutover.proxy.http;

import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCounted;

/**
 * What a head's header fields say, as far as the proxy acts on them: counts (to find ambiguous
 * framing) and where the values it copies lie in the head's bytes (offsets, no Strings).
 *
 * <p>Reference counted without atomics (a head lives on one event loop): the last release lets
 * go of the head's bytes and hands the object back to the decoder that made it, which parses its
 * next head into it, so a connection's heads cost no allocation once it runs.
 */
abstract class HeadFields implements ReferenceCounted {
    int hosts;
    int hostStart;
    int hostEnd;
    int contentLengths;
    long contentLength;
    int transferEncodings;
    /** The (one) Transfer-Encoding says chunked. */
    boolean chunked;
    boolean close;
    boolean keepAlive;
    boolean connectionUpgrade;
    /** The Connection header names other headers, which must not be forwarded. */
    boolean connectionNamesOthers;
    int upgradeStart;
    int upgradeEnd;
    int requestIdStart;
    int requestIdEnd;
    int forwardedFors;
    int forwardedForStart;
    int forwardedForEnd;
    int forwardedProtos;
    int forwardedProtoStart;
    int forwardedProtoEnd;
    int forwardedHosts;
    int forwardedHostStart;
    int forwardedHostEnd;
    int acceptStart;
    int acceptEnd;
    private int refCnt;

    /** Makes it a fresh head (one reference). */
    void resetFields() {
        hosts = contentLengths = transferEncodings = forwardedFors = forwardedProtos = forwardedHosts = 0;
        hostStart = hostEnd = upgradeStart = upgradeEnd = requestIdStart = requestIdEnd = -1;
        forwardedForStart = forwardedForEnd = forwardedProtoStart = forwardedProtoEnd = -1;
        forwardedHostStart = forwardedHostEnd = acceptStart = acceptEnd = -1;
        contentLength = -1;
        chunked = close = keepAlive = connectionUpgrade = connectionNamesOthers = false;
        refCnt = 1;
    }

    /** Called by the last release. */
    protected abstract void deallocate();

    @Override
    public int refCnt() {
        return refCnt;
    }

    @Override
    public HeadFields retain() {
        return retain(1);
    }

    @Override
    public HeadFields retain(int increment) {
        if (refCnt <= 0 || increment <= 0) {
            throw new IllegalReferenceCountException(refCnt, increment);
        }
        refCnt += increment;
        return this;
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        if (refCnt < decrement || decrement <= 0) {
            throw new IllegalReferenceCountException(refCnt, -decrement);
        }
        refCnt -= decrement;
        if (refCnt == 0) {
            deallocate();
            return true;
        }
        return false;
    }

    @Override
    public HeadFields touch() {
        return this;
    }
}
