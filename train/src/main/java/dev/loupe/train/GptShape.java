package dev.loupe.train;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Activation;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerConfig.NormKind;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The shape of a GPT-2-architecture model to train from scratch (learned positions, pre-LayerNorm,
 * gelu_new MLP, tied unembedding), and its GPT-2 initialisation.
 *
 * @param dMlp MLP width; 0 for an attention-only model
 */
public record GptShape(int layers, int dModel, int heads, int dMlp, int nCtx, int vocab) {
    /** GPT-2's initialisation scale. */
    public static final double INIT_STD = 0.02;

    public GptShape {
        if (heads <= 0 || dModel % heads != 0) throw new IllegalArgumentException("d_model " + dModel + " must be a multiple of heads " + heads);
    }

    public TransformerConfig config() {
        return TransformerConfig.builder("GPT2LMHeadModel").dModel(dModel).nLayers(layers).nHeads(heads).dMlp(dMlp).dVocab(vocab)
                .nCtx(nCtx).norm(NormKind.LAYER_NORM, 1e-5f).activation(Activation.GELU_TANH).build();
    }

    /**
     * A freshly initialised model: every weight matrix and embedding N(0, 0.02), the projections that write
     * to the residual stream (attention out, MLP out) N(0, 0.02/sqrt(2·layers)), biases 0, LayerNorm gains 1.
     * Deterministic in {@code seed}.
     */
    public HookedTransformer initialize(long seed) {
        Random rng = new Random(seed);
        double residStd = INIT_STD / Math.sqrt(2.0 * layers);
        var embed = new TransformerWeights.Embedding(normal(rng, INIT_STD, vocab, dModel), normal(rng, INIT_STD, nCtx, dModel), null, null);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            var attn = new TransformerWeights.Attention(linear(rng, INIT_STD, 3 * dModel, dModel), linear(rng, residStd, dModel, dModel));
            if (dMlp == 0) {
                blocks.add(new Block(norm(), attn, null, null));
            } else {
                blocks.add(new Block(norm(), attn, norm(),
                        new TransformerWeights.Mlp(null, linear(rng, INIT_STD, dMlp, dModel), linear(rng, residStd, dModel, dMlp))));
            }
        }
        var weights = new TransformerWeights(embed, blocks, norm(), new Linear(embed.tokens(), null));
        return new HookedTransformer(config(), weights);
    }

    private Norm norm() {
        float[] gain = new float[dModel];
        java.util.Arrays.fill(gain, 1f);
        return new Norm(Tensor.of(gain, dModel), Tensor.zeros(dModel));
    }

    private static Linear linear(Random rng, double std, int out, int in) {
        return new Linear(normal(rng, std, out, in), Tensor.zeros(out));
    }

    private static Tensor normal(Random rng, double std, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (rng.nextGaussian() * std);
        return t;
    }
}
