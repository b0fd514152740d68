package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.admin.ApiModel.Status;
import io.cutover.control.admin.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code cutover status} prints from the answer's tree what it printed from the bound records: the
 * golden file is the record-based printer's output for {@link StatusSamples}, captured before the
 * change; each sample goes through the admin API's own mapper, as it does on the wire.
 */
class StatusOutputTest {
    @Test
    void statusPrintsEveryPartOfTheAnswerAsTheRecordBasedPrinterDid() throws Exception {
        StringBuilder printed = new StringBuilder();
        for (Status s : StatusSamples.all()) {
            StringWriter w = new StringWriter();
            StatusCommand.print(JsonTree.read(Json.mapper().writeValueAsBytes(s)), new PrintWriter(w, true));
            printed.append(w).append("----\n");
        }
        String golden;
        try (InputStream in = StatusOutputTest.class.getResourceAsStream("status-golden.txt")) {
            golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(golden, printed.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void theTreeReaderKeepsEveryValueTypeAndFieldOrder() throws Exception {
        JsonNode n = JsonTree.read("{\"s\":\"a\\u00e9\",\"i\":-3,\"big\":123456789012345678901234567890,\"d\":1.5,\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[2],{}],\"o\":{\"x\":{}}}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("a\u00e9", n.get("s").asText());
        assertEquals(-3, n.get("i").asLong());
        assertEquals("123456789012345678901234567890", n.get("big").bigIntegerValue().toString());
        assertEquals(1.5, n.get("d").asDouble());
        assertTrue(n.get("t").asBoolean());
        assertTrue(n.get("f").isBoolean() && !n.get("f").asBoolean());
        assertTrue(n.get("n").isNull());
        assertEquals(3, n.get("a").size());
        assertEquals(2, n.get("a").get(1).get(0).asInt());
        assertTrue(n.get("o").get("x").isObject());
        assertEquals("[s, i, big, d, t, f, n, a, o]", iterable(n).toString());
    }

    @Test
    void theTreeReaderRefusesTruncatedTrailingEmptyOrTooDeepAnswers() {
        for (String bad : new String[] {"", "{\"a\":1", "[1,2", "{\"a\":1} {}", "{\"a\":1}x", "[1]]",
                "[".repeat(70) + "]".repeat(70)}) {
            assertThrows(IOException.class, () -> JsonTree.read(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    private static java.util.List<String> iterable(JsonNode n) {
        java.util.List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
