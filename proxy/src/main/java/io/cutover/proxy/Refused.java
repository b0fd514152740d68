package io.cutover.proxy;

import io.cutover.proxy.http.HttpParseException;

/** What a decoder passes on instead of a message it could not take; it reads nothing more after it. */
record Refused(HttpParseException cause) {
}
