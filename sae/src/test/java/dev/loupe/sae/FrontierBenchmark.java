package dev.loupe.sae;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ModelLoader;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The sparsity/fidelity frontier of the four architectures on one model hook: trains each at a few sparsity
 * settings on the same activations (collected once from the model over text, then sampled in memory),
 * evaluates on held-out documents, prints a Markdown table and draws L0 against FVU and CE recovered to a PNG.
 * Args: model.bin data.jsonl hook out.png [steps].
 */
public final class FrontierBenchmark {
    private record Point(String arch, String setting, EvalReport r) {}

    private FrontierBenchmark() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        var loaded = ModelLoader.load(args[0], null);
        HookedTransformer model = loaded.transformer();
        List<String> docs = TextContexts.read(Path.of(args[1]), "text");
        String hook = args[2];
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 400, batch = 512;
        LiveModelSource live = new LiveModelSource(model, hook, new TextContexts(docs.subList(0, 400), loaded.requireTokenizer(), 128), 8192, 16, 1, true);
        int rows = 131072, d = live.dIn();
        float[] data = new float[rows * d];
        float[] chunk = new float[4096 * d];
        for (int r = 0; r < rows; r += 4096) {
            live.next(chunk, 4096);
            System.arraycopy(chunk, 0, data, r * d, chunk.length);
        }
        String[][] sweep = {{"topk", "8", "16", "32"}, {"batchtopk", "8", "16", "32"}, {"standard", "3", "1", "0.3"}, {"jumprelu", "0.3", "0.1", "0.03"}};
        List<Point> points = new ArrayList<>();
        System.out.println("| architecture | setting | L0 | FVU | CE recovered | KL | dead |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (String[] s : sweep) {
            SaeArchitecture a = SaeArchitectures.get(s[0]);
            for (int i = 1; i < s.length; i++) {
                double v = Double.parseDouble(s[i]);
                SaeConfig cfg = new SaeConfig(s[0], d, 512, hook, live.hooks().get(0).layer(), "stories260K", a.usesK() ? (int) v : 0, true, "none", 128);
                TrainOptions.Builder o = TrainOptions.builder(steps);
                o.batchSize = batch;
                o.lr = 2e-3;
                o.kAux = 32;
                o.deadAfterTokens = 100_000;
                o.coefficient = a.usesK() ? 0 : v;
                Sae sae = new SaeTrainer(cfg, o.build(), new TensorSource(data, d, 7)).train();
                EvalReport r = SaeEvaluator.evaluate(model, sae, new TextContexts(docs.subList(450, 500), loaded.requireTokenizer(), 128), 4, 16);
                String setting = a.usesK() ? "k=" + s[i] : "λ=" + s[i];
                points.add(new Point(s[0], setting, r));
                System.out.printf("| %s | %s | %.2f | %.4f | %.4f | %.4f | %d |%n", s[0], setting, r.l0(), r.fvu(), r.ceRecovered(), r.kl(), r.dead());
            }
        }
        plot(points, Path.of(args[3]));
    }

    private static void plot(List<Point> points, Path out) throws java.io.IOException {
        int w = 1000, h = 420, pad = 60, panel = (w - 3 * pad) / 2;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        String[] archs = {"topk", "batchtopk", "standard", "jumprelu"};
        Color[] colors = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728)};
        double maxL0 = points.stream().mapToDouble(p -> p.r.l0()).max().orElse(1);
        double loX = 0, hiX = Math.log10(Math.max(10, maxL0 * 1.3));
        for (int pIdx = 0; pIdx < 2; pIdx++) {
            int x0 = pad + pIdx * (panel + pad), y0 = h - pad;
            boolean fvu = pIdx == 0;
            double loY = 0, hiY = fvu ? Math.max(0.1, points.stream().mapToDouble(p -> p.r.fvu()).max().orElse(1) * 1.1) : 1.0;
            if (!fvu) loY = Math.min(0.5, points.stream().mapToDouble(p -> p.r.ceRecovered()).min().orElse(0) - 0.05);
            g.setColor(Color.BLACK);
            g.drawRect(x0, pad, panel, y0 - pad);
            g.drawString(fvu ? "FVU vs L0 (lower is better)" : "CE loss recovered vs L0 (higher is better)", x0, pad - 10);
            g.drawString("L0 (log scale)", x0 + panel / 2 - 40, h - 20);
            for (int t = 1; t <= 1000; t *= 10) {
                double lx = Math.log10(t);
                if (lx > hiX) break;
                int px = x0 + (int) ((lx - loX) / (hiX - loX) * panel);
                g.drawString(Integer.toString(t), px - 4, y0 + 15);
            }
            for (int t = 0; t <= 4; t++) {
                double v = loY + (hiY - loY) * t / 4;
                g.drawString(String.format("%.2f", v), x0 - 40, y0 - (int) ((y0 - pad) * t / 4.0) + 4);
            }
            for (int a = 0; a < archs.length; a++) {
                g.setColor(colors[a]);
                g.setStroke(new BasicStroke(2f));
                int[] prev = null;
                for (Point p : points) {
                    if (!p.arch.equals(archs[a])) continue;
                    double yv = fvu ? p.r.fvu() : p.r.ceRecovered();
                    int px = x0 + (int) ((Math.log10(Math.max(1, p.r.l0())) - loX) / (hiX - loX) * panel);
                    int py = y0 - (int) ((yv - loY) / (hiY - loY) * (y0 - pad));
                    g.fillOval(px - 4, py - 4, 8, 8);
                    if (prev != null) g.drawLine(prev[0], prev[1], px, py);
                    prev = new int[] {px, py};
                }
                if (pIdx == 0) g.drawString(archs[a], x0 + panel - 80, pad + 18 + 16 * a);
            }
        }
        g.dispose();
        ImageIO.write(img, "png", out.toFile());
    }
}
