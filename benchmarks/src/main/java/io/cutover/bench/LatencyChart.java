package io.cutover.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Draws request latency over time from SwitchProbe CSVs, one panel per proxy (same scales),
 * with the switches as vertical lines and failed requests as red marks.
 *
 * <pre>LatencyChart OUT.png CSV...</pre>
 */
public final class LatencyChart {
    private static final int WIDTH = 1200;
    private static final int PANEL = 300;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 30;
    private static final int BOTTOM = 40;

    private record Series(String name, List<long[]> ok, List<long[]> failed, List<Long> switches) {
    }

    public static void main(String[] args) throws IOException {
        List<Series> all = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            all.add(read(Path.of(args[i])));
        }
        long maxT = 1;
        List<Long> latencies = new ArrayList<>();
        for (Series s : all) {
            for (long[] p : s.ok()) {
                maxT = Math.max(maxT, p[0]);
                latencies.add(p[1]);
            }
        }
        latencies.sort(null);
        // the y scale shows up to the 99.9th percentile of both, so one outlier does not flatten the rest
        long maxLatency = Math.max(1000, latencies.isEmpty() ? 1000 : latencies.get((int) (latencies.size() * 0.999)));

        int height = all.size() * (PANEL + TOP + BOTTOM);
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int y0 = 0;
        for (Series s : all) {
            drawPanel(g, s, y0, maxT, maxLatency);
            y0 += PANEL + TOP + BOTTOM;
        }
        g.dispose();
        ImageIO.write(img, "png", Path.of(args[0]).toFile());
    }

    private static void drawPanel(Graphics2D g, Series s, int y0, long maxT, long maxLatency) {
        int plotW = WIDTH - LEFT - RIGHT;
        int top = y0 + TOP;
        int bottom = top + PANEL;
        g.setColor(Color.BLACK);
        g.drawString(s.name() + ": latency of each request (ms) over time (s); " + s.switches().size()
                + " switches (grey), " + s.failed().size() + " failed requests (red)", LEFT, y0 + 20);
        g.drawRect(LEFT, top, plotW, PANEL);
        for (int i = 0; i <= 4; i++) {
            int y = bottom - i * PANEL / 4;
            g.drawString(String.format("%.2f", maxLatency * i / 4 / 1000.0), 10, y + 4);
        }
        for (int i = 0; i <= 10; i++) {
            int x = LEFT + i * plotW / 10;
            g.drawString(String.format("%.1f", maxT * i / 10 / 1e6), x - 8, bottom + 16);
        }
        g.setColor(new Color(150, 150, 150));
        for (long t : s.switches()) {
            int x = LEFT + (int) (t * plotW / maxT);
            g.drawLine(x, top, x, bottom);
        }
        g.setColor(new Color(30, 90, 200, 90));
        for (long[] p : s.ok()) {
            int x = LEFT + (int) (p[0] * plotW / maxT);
            int y = bottom - (int) (Math.min(p[1], maxLatency) * PANEL / maxLatency);
            g.fillRect(x, y, 2, 2);
        }
        g.setColor(Color.RED);
        g.setStroke(new BasicStroke(2));
        for (long[] p : s.failed()) {
            int x = LEFT + (int) (p[0] * plotW / maxT);
            g.drawLine(x - 4, top + 4, x + 4, top + 12);
            g.drawLine(x - 4, top + 12, x + 4, top + 4);
        }
        g.setStroke(new BasicStroke(1));
    }

    private static Series read(Path csv) throws IOException {
        String name = csv.getFileName().toString();
        List<long[]> ok = new ArrayList<>();
        List<long[]> failed = new ArrayList<>();
        List<Long> switches = new ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            if (line.startsWith("# ")) {
                name = line.substring(2);
            } else if (line.startsWith("switch,")) {
                switches.add(Long.parseLong(line.substring(7)));
            } else if (!line.isBlank()) {
                String[] f = line.split(",");
                long[] point = {Long.parseLong(f[1]), Long.parseLong(f[2])};
                (f[0].equals("ok") ? ok : failed).add(point);
            }
        }
        return new Series(name, ok, failed, switches);
    }
}
