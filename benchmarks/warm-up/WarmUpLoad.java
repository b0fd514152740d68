import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Steady, bounded load for benchmarks/warm-up.sh: THREADS clients, each sending a GET to
 * http://127.0.0.1:PORT/api/items?n=K every PACE_MS (so at most THREADS * 1000 / PACE_MS a
 * second), until the file STOP exists or SECONDS have passed. Writes one line per request to OUT:
 * "end_ms latency_us version status" (version from X-Version; "-" with no answer).
 *
 *   java WarmUpLoad PORT THREADS PACE_MS SECONDS STOP OUT
 */
public final class WarmUpLoad {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        long paceMs = Long.parseLong(args[2]);
        long seconds = Long.parseLong(args[3]);
        Path stop = Path.of(args[4]);
        Path out = Path.of(args[5]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(seconds).toNanos();
        List<List<String>> lines = new ArrayList<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<String> mine = new ArrayList<>();
            lines.add(mine);
            Thread th = new Thread(() -> {
                long next = System.nanoTime();
                while (System.nanoTime() < deadline && !Files.exists(stop)) {
                    int n = ThreadLocalRandom.current().nextInt(1, 50);
                    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/items?n=" + n))
                            .timeout(Duration.ofSeconds(10)).build();
                    long t0 = System.nanoTime();
                    String version = "-";
                    int status = 0;
                    try {
                        HttpResponse<byte[]> resp = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
                        status = resp.statusCode();
                        version = resp.headers().firstValue("X-Version").orElse("?");
                    } catch (IOException e) {
                        // counted as no answer
                    } catch (InterruptedException e) {
                        return;
                    }
                    long t1 = System.nanoTime();
                    mine.add((t1 - start) / 1_000_000 + " " + (t1 - t0) / 1000 + " " + version + " " + status);
                    next += paceMs * 1_000_000;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        try {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        } catch (InterruptedException e) {
                            return;
                        }
                    } else {
                        next = System.nanoTime();
                    }
                }
            });
            th.start();
            running.add(th);
        }
        for (Thread th : running) {
            th.join();
        }
        try (BufferedWriter w = Files.newBufferedWriter(out)) {
            for (List<String> mine : lines) {
                for (String l : mine) {
                    w.write(l);
                    w.newLine();
                }
            }
        }
    }
}
