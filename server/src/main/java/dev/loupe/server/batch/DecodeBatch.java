package dev.loupe.server.batch;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.KvCache;
import dev.loupe.model.generate.Sampler;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.intervene.RowInterventions;
import java.util.Arrays;
import java.util.List;

/**
 * Generation jobs with prompts of one length decoded together: one prefill pass over all prompts, then one
 * single-position pass per step for all rows, each row with its own sampler, interventions, stop condition and
 * stream. The scheduler advances it a step at a time, so other requests run between steps.
 */
final class DecodeBatch {
    private final HookedTransformer model;
    private final List<GenerateJob> jobs;
    private final Hooks hooks;
    private final KvCache kv;
    private final Sampler[] samplers;
    private final int[][] out;
    private final int[] produced;
    private final boolean[] done;
    private int[][] input;
    private int live;

    DecodeBatch(HookedTransformer model, List<GenerateJob> jobs) {
        this.model = model;
        this.jobs = jobs;
        int n = jobs.size(), promptLen = jobs.getFirst().prompt().length, nCtx = model.config().nCtx();
        int longest = jobs.stream().mapToInt(GenerateJob::maxTokens).max().orElse(0);
        Hooks.Builder b = Hooks.builder(model.hooks());
        RowInterventions.install(b, jobs.stream().map(GenerateJob::interventions).toList());
        hooks = b.build();
        kv = new KvCache(model.config(), n, Math.min(nCtx, promptLen + longest));
        samplers = new Sampler[n];
        out = new int[n][];
        produced = new int[n];
        done = new boolean[n];
        input = new int[n][];
        for (int r = 0; r < n; r++) {
            GenerateJob j = jobs.get(r);
            samplers[r] = new Sampler(j.sampling());
            out[r] = new int[Math.min(j.maxTokens(), nCtx - promptLen)];
            input[r] = j.prompt();
        }
        live = n;
        for (int r = 0; r < n; r++) if (out[r].length == 0) finish(r);
    }

    int rows() {
        return jobs.size();
    }

    boolean finished() {
        return live == 0;
    }

    /** Runs one pass (the prefill first, then one token per row); returns the tokens it streamed. */
    int step() {
        int emitted = 0;
        Tensor logits = model.forward(input, hooks, kv, ForwardOptions.LAST_LOGITS); // [rows, 1, d_vocab]
        int vocab = model.config().dVocab();
        long now = System.nanoTime();
        int[][] next = new int[input.length][1];
        for (int r = 0; r < input.length; r++) {
            int token = samplers[r].next(logits.data(), r * vocab, vocab);
            next[r][0] = token;
            if (done[r]) continue;
            GenerateJob j = jobs.get(r);
            if (now > j.deadline()) {
                stop(r);
                j.fail(new ApiError(503, "generation ran past the request time limit after " + produced[r] + " tokens"));
                continue;
            }
            if (j.eos().isPresent() && token == j.eos().getAsInt()) {
                finish(r);
                continue;
            }
            out[r][produced[r]++] = token;
            emitted++;
            boolean more;
            try {
                more = j.sink().accept(token);
            } catch (RuntimeException e) { // one client's failure stops its row only
                stop(r);
                j.fail(e);
                continue;
            }
            if (!more || produced[r] == out[r].length) finish(r);
        }
        input = next;
        return emitted;
    }

    /** Fails every row still running (the model threw). */
    void fail(RuntimeException e) {
        for (int r = 0; r < done.length; r++) {
            if (!done[r]) {
                stop(r);
                jobs.get(r).fail(e);
            }
        }
    }

    private void finish(int r) {
        stop(r);
        jobs.get(r).result().complete(Arrays.copyOf(out[r], produced[r]));
    }

    private void stop(int r) {
        done[r] = true;
        live--;
    }
}
