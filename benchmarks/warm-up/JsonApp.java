import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A small JVM web app for benchmarks/warm-up.sh: plain JDK (com.sun.net.httpserver) with Jackson,
 * doing per request the kind of work a JSON API does (build a document of 40 items, write it,
 * read it back, sum and filter it), so that its first requests run interpreted and cold, and
 * later ones compiled. Its mapper is made on first use, as a framework's lazy beans are.
 * Listens on 127.0.0.1:$PORT; answers X-Version: $VERSION.
 *
 *   GET /health          200 once listening
 *   GET /api/items[?n=K] a JSON document of items (K picks which)
 */
public final class JsonApp {
    private static volatile ObjectMapper mapper;

    private static ObjectMapper mapper() {
        ObjectMapper m = mapper;
        if (m == null) {
            synchronized (JsonApp.class) {
                if (mapper == null) {
                    mapper = new ObjectMapper();
                }
                m = mapper;
            }
        }
        return m;
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8081"));
        String version = System.getenv().getOrDefault("VERSION", "v?");
        // answers go out at once (as Tomcat's, Netty's): without it, Nagle's algorithm and the
        // client's delayed ACK hold each answer's body back some 40 ms
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/health", ex -> reply(ex, version, 200, "ok".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/api/items", ex -> {
            try {
                reply(ex, version, 200, items(ex.getRequestURI().getQuery()));
            } catch (RuntimeException e) {
                reply(ex, version, 500, String.valueOf(e).getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
    }

    static byte[] items(String query) throws IOException {
        int n = 7;
        if (query != null && query.startsWith("n=")) {
            n = Integer.parseInt(query.substring(2));
        }
        ObjectMapper json = mapper();
        ObjectNode doc = json.createObjectNode();
        doc.put("page", n);
        ArrayNode items = doc.putArray("items");
        for (int i = 0; i < 40; i++) {
            ObjectNode item = items.addObject();
            item.put("id", n * 100 + i);
            item.put("name", String.format("item %d of page %d", i, n));
            item.put("price", (n * 31 + i * 17) % 1000 / 10.0);
            item.putArray("tags").add("t" + (i % 5)).add("p" + (n % 3));
        }
        byte[] written = json.writeValueAsBytes(doc);
        JsonNode back = json.readTree(written);
        double total = 0;
        int cheap = 0;
        for (JsonNode item : back.get("items")) {
            double price = item.get("price").asDouble();
            total += price;
            if (price < 50 && item.get("name").asText().matches("item \\d+ of page \\d+")) {
                cheap++;
            }
        }
        ObjectNode out = json.createObjectNode();
        out.put("page", n).put("total", total).put("cheap", cheap).set("items", back.get("items"));
        return json.writeValueAsBytes(out);
    }

    private static void reply(HttpExchange ex, String version, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("X-Version", version);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }
}
