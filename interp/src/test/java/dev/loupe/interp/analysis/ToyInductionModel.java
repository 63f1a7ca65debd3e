package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Activation;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import java.util.List;

/**
 * A two-layer, two-heads-per-layer transformer whose weights are set by hand to do induction, so the
 * detectors and the ablation check have a model with known answers: head 0.0 attends to the previous token
 * and writes it to its own subspace; head 1.0 matches the current token against that subspace (K-composition)
 * and copies the token after the match to the output subspace. Heads 0.1 and 1.1 do nothing (all-zero
 * weights); the MLPs are zero. Residual subspaces of width V or N: token, position, previous token, output.
 */
final class ToyInductionModel {
    static final int VOCAB = 16, CTX = 32, D_HEAD = 32, HEADS = 2;
    // Head 0's rows of the fused [q (2 heads); k (2 heads); v (2 heads)] projection start at 0, K_ROW, V_ROW.
    private static final int K_ROW = HEADS * D_HEAD, V_ROW = 2 * HEADS * D_HEAD;
    private static final int T = 0, P = VOCAB, S = VOCAB + CTX, O = 2 * VOCAB + CTX, D = 3 * VOCAB + CTX;

    private ToyInductionModel() {}

    static HookedTransformer build() {
        var cfg = TransformerConfig.builder("ToyInduction").dModel(D).nLayers(2).nHeads(HEADS).dHead(D_HEAD).dMlp(1).dVocab(VOCAB)
                .nCtx(CTX).norm(TransformerConfig.NormKind.RMS_NORM, 1e-6f).activation(Activation.RELU).build();
        Tensor tokens = Tensor.zeros(VOCAB, D), positions = Tensor.zeros(CTX, D);
        for (int t = 0; t < VOCAB; t++) tokens.set(1, t, T + t);
        for (int p = 0; p < CTX; p++) positions.set(1, p, P + p);
        // After RMSNorm each unit entry of a residual with k unit entries reads sqrt(D / k).
        double c0 = Math.sqrt(D / 2.0), c1 = Math.sqrt(D / 3.0);
        Tensor qkv0 = Tensor.zeros(6 * D_HEAD, D), out0 = Tensor.zeros(D, HEADS * D_HEAD);
        float w0 = (float) Math.sqrt(30 * Math.sqrt(D_HEAD)) / (float) c0; // query·key scores of about 30
        for (int i = 0; i < CTX; i++) {
            qkv0.set(w0, i, P + i); // query: my position
            if (i > 0) qkv0.set(w0, K_ROW + i, P + i - 1); // key: my position + 1
        }
        for (int i = 0; i < VOCAB; i++) {
            qkv0.set((float) (1 / c0), V_ROW + i, T + i); // value: my token
            out0.set(1, S + i, i); // → previous-token subspace
        }
        Tensor qkv1 = Tensor.zeros(6 * D_HEAD, D), out1 = Tensor.zeros(D, HEADS * D_HEAD);
        float w1 = (float) Math.sqrt(30 * Math.sqrt(D_HEAD)) / (float) c1;
        for (int i = 0; i < VOCAB; i++) {
            qkv1.set(w1, i, T + i); // query: my token
            qkv1.set(w1, K_ROW + i, S + i); // key: the token before me
            qkv1.set((float) (1 / c1), V_ROW + i, T + i); // value: my token
            out1.set(1, O + i, i); // → output subspace
        }
        Tensor unembed = Tensor.zeros(VOCAB, D);
        for (int t = 0; t < VOCAB; t++) unembed.set(2, t, O + t);
        return new HookedTransformer(cfg, new TransformerWeights(new TransformerWeights.Embedding(tokens, positions, null, null),
                List.of(block(qkv0, out0), block(qkv1, out1)), ones(), new Linear(unembed, null)));
    }

    private static Block block(Tensor qkv, Tensor out) {
        var mlp = new TransformerWeights.Mlp(null, new Linear(Tensor.zeros(1, D), null), new Linear(Tensor.zeros(D, 1), null));
        return new Block(ones(), new TransformerWeights.Attention(new Linear(qkv, null), new Linear(out, null)), ones(), mlp);
    }

    private static Norm ones() {
        Tensor g = Tensor.zeros(D);
        java.util.Arrays.fill(g.data(), 1f);
        return new Norm(g, null);
    }
}
