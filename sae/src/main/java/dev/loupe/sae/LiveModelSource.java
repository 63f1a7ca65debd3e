package dev.loupe.sae;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Activations produced on the fly: runs the model over packed text contexts, stopping after the last hook's
 * layer, and pushes the rows at the hook (or at several hooks side by side, row-aligned: a transcoder's MLP
 * inputs and outputs) into a mixing buffer of {@code bufferRows}. Batches are drawn
 * uniformly at random from the buffer (without replacement), which is refilled when it falls to half, so
 * consecutive rows of a batch come from many contexts (as SAELens's activation store does). BOS positions
 * are left out by default: their activations are outliers that no dictionary needs to spend latents on.
 */
public final class LiveModelSource implements ActivationSource {
    private final HookedTransformer model;
    private final List<HookSpec> hooks;
    private final int[] widths;
    private final TextContexts texts;
    private final int dIn, bufferRows, modelBatch;
    private final boolean skipBos;
    private final float[] buffer;
    private int fill;
    private Rng rng;

    public LiveModelSource(HookedTransformer model, String hookName, TextContexts texts, int bufferRows, int modelBatch, long seed, boolean skipBos) {
        this(model, List.of(hookName), texts, bufferRows, modelBatch, seed, skipBos);
    }

    /** Rows of {@code hookNames} side by side, in the given order. */
    public LiveModelSource(HookedTransformer model, List<String> hookNames, TextContexts texts, int bufferRows, int modelBatch, long seed,
                           boolean skipBos) {
        this.model = model;
        this.hooks = hookNames.stream().map(name -> HookPattern.select(model.hooks(), name).stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("activation hook must be one exact hook name, got pattern '" + name + "'"))).toList();
        this.widths = hooks.stream().mapToInt(LiveModelSource::widthOf).toArray();
        this.texts = texts;
        this.dIn = java.util.Arrays.stream(widths).sum();
        this.bufferRows = bufferRows;
        this.modelBatch = modelBatch;
        this.skipBos = skipBos && texts.hasBos();
        this.buffer = new float[(bufferRows + modelBatch * texts.contextSize()) * dIn];
        this.rng = new Rng(seed);
    }

    /** Width of one position's activation at a hook: the product of the sizes after [batch, pos]. */
    public static int widthOf(HookSpec hook) {
        Matcher m = Pattern.compile("=(\\d+)").matcher(hook.shape());
        int width = 1;
        boolean any = false;
        while (m.find()) {
            width *= Integer.parseInt(m.group(1));
            any = true;
        }
        if (!any || !hook.shape().startsWith("[batch, pos")) {
            throw new IllegalArgumentException("hook " + hook.name() + " " + hook.shape() + " has no per-position activation an SAE can read");
        }
        return width;
    }

    /** The last block the forward must run to reach the hook. */
    public static ForwardOptions stopAt(HookSpec hook) {
        if (hook.layer() >= 0) return new ForwardOptions(hook.layer(), false);
        return hook.site() == Site.LN_FINAL ? ForwardOptions.FULL : new ForwardOptions(0, false);
    }

    @Override
    public int dIn() {
        return dIn;
    }


    /** The hooks read, in row order. */
    public List<HookSpec> hooks() {
        return hooks;
    }

    @Override
    public void next(float[] out, int rows) {
        if (fill < Math.max(bufferRows / 2, rows)) refill(Math.max(bufferRows, rows));
        for (int r = 0; r < rows; r++) {
            int i = rng.nextInt(fill);
            System.arraycopy(buffer, i * dIn, out, r * dIn, dIn);
            fill--;
            if (i != fill) System.arraycopy(buffer, fill * dIn, buffer, i * dIn, dIn);
        }
    }

    private void refill(int target) {
        if (target * dIn > buffer.length - modelBatch * texts.contextSize() * dIn) {
            throw new IllegalArgumentException("batch of " + target + " rows exceeds the mixing buffer of " + bufferRows + " rows");
        }
        while (fill < target) {
            int[][] tokens = texts.next(modelBatch);
            float[][] acts = run(tokens);
            int pos = tokens[0].length;
            for (int b = 0; b < modelBatch; b++) {
                for (int p = skipBos ? 1 : 0; p < pos; p++) {
                    int o = fill * dIn;
                    for (int h = 0; h < acts.length; h++) {
                        System.arraycopy(acts[h], (b * pos + p) * widths[h], buffer, o, widths[h]);
                        o += widths[h];
                    }
                    fill++;
                }
            }
        }
    }

    /** Each hook's activations [batch·pos·width] for the given contexts, running only as far as needed. */
    private float[][] run(int[][] tokens) {
        float[][] seen = new float[hooks.size()][];
        Hooks.Builder b = Hooks.builder(model.hooks());
        ForwardOptions stop = stopAt(hooks.get(0));
        for (int h = 0; h < seen.length; h++) {
            int slot = h;
            b.add(hooks.get(h), (x, ctx) -> {
                seen[slot] = hooks.size() == 1 ? x.data() : x.copy().data();
                return x;
            });
            ForwardOptions o = stopAt(hooks.get(h));
            if (stop.stopAfterLayer() >= 0 && (o.stopAfterLayer() < 0 || o.stopAfterLayer() > stop.stopAfterLayer())) stop = o;
        }
        ForwardOptions deepest = stop;
        Hooks built = b.build();
        dev.loupe.core.Autograd.noGrad(() -> model.forward(tokens, built, null, deepest));
        return seen;
    }

    @Override
    public void save(DataOutputStream out) throws IOException {
        texts.save(out);
        out.writeLong(rng.state());
        out.writeInt(fill);
        for (int i = 0; i < fill * dIn; i++) out.writeFloat(buffer[i]);
    }

    @Override
    public void restore(DataInputStream in) throws IOException {
        texts.restore(in);
        rng = new Rng(in.readLong());
        fill = in.readInt();
        for (int i = 0; i < fill * dIn; i++) buffer[i] = in.readFloat();
    }
}
