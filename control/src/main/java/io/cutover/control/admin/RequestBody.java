package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Reads a request's JSON body into its record; a body of another shape is a 400 that shows the right one. */
final class RequestBody {
    private final ObjectMapper json;

    RequestBody(ObjectMapper json) {
        this.json = json;
    }

    /** The body as {@code type}; an empty body as {@code empty} (null: a body is required). */
    <T> T read(byte[] body, Class<T> type, String shape, T empty) throws ApiException {
        if (body.length == 0 && empty != null) {
            return empty;
        }
        try {
            T value = json.readValue(body, type);
            if (value == null) {
                throw new ApiException(400, "body must be JSON like " + shape);
            }
            return value;
        } catch (IOException e) {
            throw new ApiException(400, "body must be JSON like " + shape);
        }
    }

    <T> T read(byte[] body, Class<T> type, String shape) throws ApiException {
        return read(body, type, shape, null);
    }

    /** The body as {@code type}, or null for a JSON {@code null}. */
    <T> T readNullable(byte[] body, Class<T> type, String shape) throws ApiException {
        try {
            return json.readValue(body, type);
        } catch (IOException | RuntimeException e) {
            throw new ApiException(400, "body must be JSON like " + shape);
        }
    }
}
