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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Activations produced on the fly: runs the model over packed text contexts, stopping after the hook's
 * layer, and pushes the rows at the hook into a mixing buffer of {@code bufferRows}. Batches are drawn
 * uniformly at random from the buffer (without replacement), which is refilled when it falls to half, so
 * consecutive rows of a batch come from many contexts (as SAELens's activation store does). BOS positions
 * are left out by default: their activations are outliers that no dictionary needs to spend latents on.
 */
public final class LiveModelSource implements ActivationSource {
    private final HookedTransformer model;
    private final HookSpec hook;
    private final TextContexts texts;
    private final int dIn, bufferRows, modelBatch;
    private final boolean skipBos;
    private final float[] buffer;
    private int fill;
    private Rng rng;

    public LiveModelSource(HookedTransformer model, String hookName, TextContexts texts, int bufferRows, int modelBatch, long seed, boolean skipBos) {
        this.model = model;
        this.hook = HookPattern.select(model.hooks(), hookName).stream().filter(s -> s.name().equals(hookName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("SAE hook must be one exact hook name, got pattern '" + hookName + "'"));
        this.texts = texts;
        this.dIn = widthOf(hook);
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

    public HookSpec hook() {
        return hook;
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
            Tensor act = run(texts.next(modelBatch));
            int pos = act.size(1);
            float[] a = act.data();
            for (int b = 0; b < modelBatch; b++) {
                for (int p = skipBos ? 1 : 0; p < pos; p++) {
                    System.arraycopy(a, (b * pos + p) * dIn, buffer, fill * dIn, dIn);
                    fill++;
                }
            }
        }
    }

    /** The hook's activation [batch, pos, d_in] for the given contexts, running only as far as needed. */
    private Tensor run(int[][] tokens) {
        Tensor[] seen = new Tensor[1];
        Hooks hooks = Hooks.builder(model.hooks()).add(hook, (x, ctx) -> {
            seen[0] = x;
            return x;
        }).build();
        dev.loupe.core.Autograd.noGrad(() -> model.forward(tokens, hooks, null, stopAt(hook)));
        return seen[0].reshape(tokens.length, tokens[0].length, dIn);
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
