package dev.loupe.train.toy;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Draws the superposition figures as PNG with java.awt (headless): WᵀW heatmaps with feature norms, and the phase diagram. */
public final class ToyPlots {
    private static final int CELL = 12, PAD = 30;
    private static final Color NOT_REPRESENTED = new Color(0xDDDDDD), DEDICATED = new Color(0x3B6FB6), SUPERPOSITION = new Color(0xD1495B);

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private ToyPlots() {}

    /**
     * One column per model: WᵀW as a heatmap (blue negative, white 0, red positive, saturating at ±1), and
     * under it each feature's norm ||W_i|| as a bar, black when the feature has a direction to itself and
     * shading to red as the feature is in superposition.
     */
    public static void superposition(List<ReluToyModel> models, List<String> titles, Path file) throws IOException {
        int n = models.getFirst().features();
        int colW = n * CELL + PAD, barH = n * CELL;
        BufferedImage img = new BufferedImage(PAD + models.size() * colW, PAD * 2 + n * CELL + PAD + barH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        for (int c = 0; c < models.size(); c++) {
            ReluToyModel m = models.get(c);
            int x0 = PAD + c * colW, y0 = PAD * 2;
            g.setColor(Color.BLACK);
            g.drawString(titles.get(c), x0, PAD + 10);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    g.setColor(diverging(m.gram(i, j)));
                    g.fillRect(x0 + j * CELL, y0 + i * CELL, CELL, CELL);
                }
            }
            int by = y0 + n * CELL + PAD;
            for (int i = 0; i < n; i++) {
                double sup = Math.min(1, m.superposition(i));
                g.setColor(blend(Color.BLACK, SUPERPOSITION, sup));
                int len = (int) Math.round(Math.min(1.2, m.norm(i)) / 1.2 * (n * CELL));
                g.fillRect(x0, by + i * CELL + 1, len, CELL - 2);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }

    /** The phase diagram: rows are feature density (1 at the top), columns the extra feature's relative importance (0.1 to 10). */
    public static void phaseDiagram(PhaseDiagram d, Path file) throws IOException {
        int size = d.densities().length, cell = 24, left = 90, top = 40;
        BufferedImage img = new BufferedImage(left + size * cell + 200, top + size * cell + 60, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                g.setColor(switch (d.phases()[r][c]) {
                    case NOT_REPRESENTED -> NOT_REPRESENTED;
                    case DEDICATED -> DEDICATED;
                    case SUPERPOSITION -> SUPERPOSITION;
                });
                g.fillRect(left + c * cell, top + r * cell, cell - 1, cell - 1);
            }
        }
        g.setColor(Color.BLACK);
        g.drawString("n=2, m=1: what happens to the extra feature", left, 20);
        g.drawString("density 1", 10, top + 12);
        g.drawString(String.format("%.3g", d.densities()[size - 1]), 10, top + size * cell - 6);
        g.drawString("importance 0.1", left, top + size * cell + 18);
        g.drawString("10", left + size * cell - 16, top + size * cell + 18);
        int lx = left + size * cell + 16;
        legend(g, lx, top, NOT_REPRESENTED, "not represented");
        legend(g, lx, top + 24, DEDICATED, "dedicated dimension");
        legend(g, lx, top + 48, SUPERPOSITION, "superposition");
        ImageIO.write(img, "png", file.toFile());
    }

    private static void legend(Graphics2D g, int x, int y, Color c, String label) {
        g.setColor(c);
        g.fillRect(x, y, 16, 16);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 22, y + 13);
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setStroke(new BasicStroke(1));
        return g;
    }

    private static Color diverging(double v) {
        double t = Math.max(-1, Math.min(1, v));
        return t >= 0 ? blend(Color.WHITE, new Color(0xB2182B), t) : blend(Color.WHITE, new Color(0x2166AC), -t);
    }

    private static Color blend(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }
}
