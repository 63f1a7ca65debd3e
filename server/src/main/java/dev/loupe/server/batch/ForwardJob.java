package dev.loupe.server.batch;

import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.CompiledInterventions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One forward pass over one row of tokens, with compiled interventions (null: none), recording the hooks {@code cache} selects.
 * Completes with that row's logits [1, pos, d_vocab] (when {@code logits}) and activations (each [1, ...]). A
 * pass stops after the last block anything in the batch needs, like TransformerLens's {@code stop_at_layer}.
 */
public record ForwardJob(String id, long deadline, int[] tokens, CompiledInterventions interventions, List<String> cache,
                         boolean logits, CompletableFuture<Result> result) implements Job {

    /** The row's logits (null when not asked for) and recorded activations. */
    public record Result(Tensor logits, Map<String, Tensor> activations, int batchRows) {}

    /**
     * The GEMM kernel takes its few-rows path for at most 4 rows, and for at most 8 when B is transposed (as in an
     * unembedding through tied embeddings), so a row of at most 8 tokens computed alone and the same row in a batch
     * could differ in the last bit; such rows run alone to stay bit-exact.
     */
    static final int MIN_BATCH_TOKENS = 9;

    @Override
    public void fail(RuntimeException e) {
        result.completeExceptionally(e);
    }

    @Override
    public long cost() {
        return tokens.length;
    }

    @Override
    public boolean batchesWith(Job other) {
        return other instanceof ForwardJob f && f.tokens.length == tokens.length && tokens.length >= MIN_BATCH_TOKENS;
    }
}
