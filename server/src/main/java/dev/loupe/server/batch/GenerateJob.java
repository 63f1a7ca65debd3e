package dev.loupe.server.batch;

import dev.loupe.model.generate.Sampling;
import dev.loupe.interp.intervene.CompiledInterventions;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * Continuing one prompt by up to {@code maxTokens} tokens, with interventions at prefill and every step.
 * {@code sink} receives each token as it is chosen (it streams server-sent events) and returns false when the
 * client has gone; {@code result} completes with all new tokens.
 */
public record GenerateJob(String id, long deadline, int[] prompt, int maxTokens, Sampling sampling, OptionalInt eos,
                          CompiledInterventions interventions, Sink sink, CompletableFuture<int[]> result) implements Job {

    /** Receives a generated token; false stops this row. */
    @FunctionalInterface
    public interface Sink {
        boolean accept(int token);
    }

    @Override
    public void fail(RuntimeException e) {
        result.completeExceptionally(e);
    }

    @Override
    public long cost() {
        return prompt.length; // the prefill; the decode steps run a token at a time between other jobs
    }

    @Override
    public boolean batchesWith(Job other) {
        return other instanceof GenerateJob g && g.prompt.length == prompt.length;
    }
}
