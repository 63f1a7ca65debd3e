package dev.loupe.model.generate;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.KvCache;
import dev.loupe.model.hooks.Hooks;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * Autoregressive generation with a KV cache: one prefill pass over the prompt, then one single-position
 * pass per new token. Hooks fire at prefill and at every decode step; their context carries the absolute
 * position of the step.
 */
public final class Generator {
    private final HookedTransformer model;

    public Generator(HookedTransformer model) {
        this.model = model;
    }

    /** Receives each new token as it is chosen: row, token id. */
    @FunctionalInterface
    public interface TokenSink {
        void accept(int row, int token);
    }

    /**
     * Continues each row of {@code prompts} (rows of equal length, at least one token each) by up to
     * {@code maxTokens} tokens, stopping a row at {@code eos} (not emitted) when given.
     *
     * @return the new tokens of each row
     */
    public int[][] generate(int[][] prompts, int maxTokens, Sampling sampling, OptionalInt eos, Hooks hooks, TokenSink sink) {
        int batch = prompts.length;
        int promptLen = prompts[0].length;
        int capacity = Math.min(model.config().nCtx(), promptLen + maxTokens);
        if (promptLen + maxTokens > model.config().nCtx()) {
            maxTokens = model.config().nCtx() - promptLen;
            if (maxTokens < 0) {
                throw new IllegalArgumentException("prompt of " + promptLen + " tokens is longer than the model's context of "
                        + model.config().nCtx() + " (n_ctx)");
            }
        }
        KvCache kv = new KvCache(model.config(), batch, capacity);
        Sampler[] samplers = new Sampler[batch];
        for (int b = 0; b < batch; b++) samplers[b] = new Sampler(new Sampling(sampling.temperature(), sampling.topK(), sampling.topP(), sampling.seed() + b));
        int[][] out = new int[batch][maxTokens];
        int[] produced = new int[batch];
        boolean[] done = new boolean[batch];
        int vocab = model.config().dVocab();
        int[][] input = prompts;
        for (int step = 0; step < maxTokens; step++) {
            Tensor logits = model.forward(input, hooks, kv, ForwardOptions.LAST_LOGITS); // [batch, 1, d_vocab]
            int[][] next = new int[batch][1];
            boolean anyLive = false;
            for (int b = 0; b < batch; b++) {
                int token = samplers[b].next(logits.data(), b * vocab, vocab);
                next[b][0] = token;
                if (done[b]) continue;
                if (eos.isPresent() && token == eos.getAsInt()) {
                    done[b] = true;
                    continue;
                }
                out[b][produced[b]++] = token;
                if (sink != null) sink.accept(b, token);
                anyLive = true;
            }
            if (!anyLive || step == maxTokens - 1) break;
            input = next;
        }
        int[][] result = new int[batch][];
        for (int b = 0; b < batch; b++) result[b] = Arrays.copyOf(out[b], produced[b]);
        return result;
    }
}
