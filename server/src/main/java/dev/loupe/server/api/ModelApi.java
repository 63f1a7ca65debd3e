package dev.loupe.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.GradientRun;
import dev.loupe.interp.analysis.LensResult;
import dev.loupe.interp.analysis.LogitLens;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.server.batch.ForwardJob;
import dev.loupe.server.batch.GenerateJob;
import dev.loupe.server.batch.Scheduler;
import dev.loupe.server.batch.SoloJob;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.http.Body;
import dev.loupe.interp.intervene.CompiledInterventions;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.server.intervene.RowInterventions;
import dev.loupe.server.readout.Array;
import dev.loupe.server.readout.Axes;
import dev.loupe.server.readout.Readout;
import dev.loupe.server.wire.NamedTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * What the HTTP endpoints do, independent of HTTP: reads a request body, checks it against the model and the
 * limits, queues the work on the {@link Scheduler}, waits for its row, and reduces what comes back. Everything
 * it touches was loaded at start-up; no request names a file.
 */
public final class ModelApi {
    /** The pseudo-hook a readout uses to ask for the logits [pos, d_vocab]. */
    public static final String LOGITS = "logits";

    /** Fields every request with an input may have. */
    public static final Set<String> INPUT = Set.of("model", "prompt", "tokens", "bos");

    private final LoadedModel loaded;
    private final HookedTransformer model;
    private final String name;
    private final Limits limits;
    private final Scheduler scheduler;
    private final TensorResolver tensors;
    private final int longestToken;
    /** JSON bytes (and more in tree nodes) a logit-lens entry takes: an id, its token string and a probability. */
    private static final int LENS_ENTRY_BYTES = 64;

    /** @param tensors what {@code {"ref": name}} in an intervention may name (e.g. SAE decoder directions) */
    public ModelApi(LoadedModel loaded, String name, Limits limits, Scheduler scheduler, TensorResolver tensors) {
        this.loaded = loaded;
        this.tensors = tensors;
        this.model = loaded.transformer();
        this.name = name;
        this.limits = limits;
        this.scheduler = scheduler;
        int longest = 1;
        Tokenizer t = loaded.tokenizer();
        for (int id = 0; t != null && id < t.vocabSize(); id++) {
            try {
                longest = Math.max(longest, t.tokenString(id).length());
            } catch (IndexOutOfBoundsException hole) {
                // an id the vocabulary leaves unused
            }
        }
        this.longestToken = longest;
    }

    /** A response: small JSON fields plus named arrays. */
    public record Result(ObjectNode extras, List<NamedTensor> tensors) {}

    public String name() {
        return name;
    }

    public Limits limits() {
        return limits;
    }

    public ObjectNode info() {
        TransformerConfig c = model.config();
        ObjectNode o = Body.JSON.createObjectNode();
        o.put("model", name).put("architecture", c.architecture());
        o.put("n_layers", c.nLayers()).put("d_model", c.dModel()).put("n_heads", c.nHeads()).put("n_kv_heads", c.nKvHeads())
                .put("d_head", c.dHead()).put("d_mlp", c.dMlp()).put("d_vocab", c.dVocab()).put("n_ctx", c.nCtx());
        o.put("tokenizer", loaded.tokenizer() != null);
        ObjectNode l = o.putObject("limits");
        l.put("max_tokens", limits.maxTokens()).put("max_new_tokens", limits.maxNewTokens()).put("max_response_bytes", limits.maxResponseBytes())
                .put("max_cache_bytes", limits.maxCacheBytes()).put("max_body_bytes", limits.maxBodyBytes()).put("timeout_ms", limits.timeoutMillis())
                .put("max_graph_bytes", limits.maxGraphBytes());
        return o;
    }

    public ObjectNode hooks() {
        ObjectNode o = Body.JSON.createObjectNode();
        ArrayNode a = o.putArray("hooks");
        for (HookSpec s : model.hooks().specs()) a.addObject().put("name", s.name()).put("layer", s.layer()).put("shape", s.shape());
        a.addObject().put("name", LOGITS).put("layer", -1).put("shape", "[batch, pos, d_vocab=" + model.config().dVocab() + "]");
        return o;
    }

    public ObjectNode tokenize(Body b) {
        b.allow(INPUT);
        int[] ids = tokens(b);
        ObjectNode o = Body.JSON.createObjectNode();
        ArrayNode t = o.putArray("tokens");
        for (int id : ids) t.add(id);
        ArrayNode s = o.putArray("str_tokens");
        for (int id : ids) s.add(tokenText(id));
        return o;
    }

    public ObjectNode detokenize(Body b) {
        b.allow(Set.of("model", "tokens"));
        checkModel(b);
        int[] ids = b.ints("tokens");
        if (ids == null) throw ApiError.badRequest(b.field("tokens") + " is required");
        checkIds(ids, b.field("tokens"));
        return Body.JSON.createObjectNode().put("text", tokenizer().decode(ids));
    }

    /** A forward pass with interventions, returning the cached hooks after their reductions. */
    public Result run(Body b, String requestId) {
        b.allow(with(INPUT, "cache", "interventions"));
        int[] ids = tokens(b);
        List<Readout> readouts = readouts(b, "cache");
        CompiledInterventions ivs = interventions(b, requestId);
        List<String> patterns = readouts.stream().map(Readout::hook).filter(h -> !h.equals(LOGITS)).toList();
        checkCost(readouts, ids.length, "cache");
        boolean logits = readouts.stream().anyMatch(r -> r.hook().equals(LOGITS));
        ForwardJob.Result res = forward(requestId, ids, ivs, patterns, logits);
        List<NamedTensor> out = new ArrayList<>();
        for (Readout r : readouts) {
            if (r.hook().equals(LOGITS)) {
                out.addAll(r.apply(LOGITS, Axes.PLAIN, rowArray(res.logits())));
                continue;
            }
            for (HookSpec s : select(r.hook(), "cache")) out.addAll(r.apply(s.name(), Axes.of(s.site()), rowArray(res.activations().get(s.name()))));
        }
        ObjectNode extras = inputExtras(ids);
        extras.put("batch_rows", res.batchRows());
        return new Result(extras, unique(out, "cache"));
    }

    /** One row's forward pass through the scheduler (shared with other requests), within the time limit. */
    public ForwardJob.Result forward(String requestId, int[] ids, CompiledInterventions ivs, List<String> cache, boolean logits) {
        CompletableFuture<ForwardJob.Result> f = new CompletableFuture<>();
        scheduler.submit(new ForwardJob(requestId, deadline(), ids, ivs, cache, logits, f));
        return await(f);
    }

    /**
     * Gradients of a scalar (the next-token loss, or a logit difference at one position) at the hooks the
     * {@code grads} readouts select, reduced like cached activations.
     */
    public Result gradients(Body b, String requestId) {
        b.allow(with(INPUT, "grads", "objective", "interventions"));
        int[] ids = tokens(b);
        List<Readout> readouts = readouts(b, "grads");
        CompiledInterventions ivs = interventions(b, requestId);
        Function<Tensor, Tensor> objective = objective(b.has("objective") ? Body.of(b.raw("objective"), b.field("objective")) : null, ids);
        List<String> patterns = readouts.stream().map(Readout::hook).filter(h -> !h.equals(LOGITS)).distinct().toList();
        checkCost(readouts, ids.length, "grads");
        GradientRun run = solo(requestId, 3L * ids.length, () -> GradientRun.of(model, new int[][] {ids}, patterns, objective,
                h -> RowInterventions.install(h, java.util.Collections.singletonList(ivs))));
        List<NamedTensor> out = new ArrayList<>();
        for (Readout r : readouts) {
            if (r.hook().equals(LOGITS)) {
                out.addAll(r.apply(LOGITS, Axes.PLAIN, rowArray(run.gradients().get(LOGITS))));
                continue;
            }
            for (HookSpec s : select(r.hook(), "grads")) out.addAll(r.apply(s.name(), Axes.of(s.site()), rowArray(run.gradients().get(s.name()))));
        }
        ObjectNode extras = inputExtras(ids);
        extras.put("value", run.value().data()[0]);
        return new Result(extras, unique(out, "grads"));
    }

    /**
     * The logit lens ({@link LogitLens}): the top tokens and their probabilities when the residual before the first
     * block and after each block is read through the model's head, at every position.
     */
    public ObjectNode lens(Body b, String requestId) {
        b.allow(with(INPUT, "topk", "target"));
        int[] ids = tokens(b);
        int topk = b.integer("topk", 5), target = b.integer("target", -1);
        if (topk < 1 || topk > 100) throw ApiError.badRequest(b.field("topk") + ": must be in 1..100, got " + topk);
        if (target != -1) checkIds(new int[] {target}, b.field("target"));
        long entries = (long) (model.config().nLayers() + 1) * ids.length * topk; // each an id, a token string and a probability in JSON
        if (entries * LENS_ENTRY_BYTES > limits.maxResponseBytes()) {
            throw ApiError.tooLarge(b.path() + ": " + entries + " top-k entries (depths x tokens x topk) would be about " + entries * LENS_ENTRY_BYTES
                    + " bytes of JSON; the limit is " + limits.maxResponseBytes() + " (fewer tokens or a smaller topk)");
        }
        LensResult lens = solo(requestId, 2L * ids.length, () -> LogitLens.run(model, ids, target, topk));
        ObjectNode o = inputExtras(ids);
        ArrayNode strs = o.putArray("str_tokens");
        for (int id : ids) strs.add(tokenText(id));
        ArrayNode labels = o.putArray("depths");
        ArrayNode ids3 = o.putArray("top_ids"), strs3 = o.putArray("top_tokens"), probs3 = o.putArray("top_probs");
        int k = lens.topIds()[0][0].length;
        for (int d = 0; d < lens.depths(); d++) {
            labels.add(lens.depthLabel(d));
            ArrayNode di = ids3.addArray(), ds = strs3.addArray(), dp = probs3.addArray();
            for (int p = 0; p < ids.length; p++) {
                ArrayNode pi = di.addArray(), ps = ds.addArray(), pp = dp.addArray();
                for (int i = 0; i < k; i++) {
                    pi.add(lens.topIds()[d][p][i]);
                    ps.add(tokenText(lens.topIds()[d][p][i]));
                    pp.add(lens.topProbs().data()[(d * ids.length + p) * k + i]);
                }
            }
        }
        if (lens.targetProb() != null) {
            ArrayNode tp = o.putArray("target_prob");
            for (int d = 0; d < lens.depths(); d++) {
                ArrayNode row = tp.addArray();
                for (int p = 0; p < ids.length; p++) row.add(lens.targetProb().data()[d * ids.length + p]);
            }
        }
        return o;
    }

    /** A token's decoded text (" the", never "Ġthe"), or its id as text without a tokenizer. */
    private String tokenText(int id) {
        return loaded.tokenizer() == null ? Integer.toString(id) : loaded.tokenizer().tokenText(id);
    }

    /** A checked generation request, queued by {@link #start} once the caller has somewhere to send tokens. */
    public record Generation(String requestId, int[] prompt, int maxTokens, Sampling sampling, OptionalInt eos, CompiledInterventions interventions) {}

    /** Reads and checks a generation request (nothing runs yet, so errors can still be plain HTTP errors). */
    public Generation generation(Body b, String requestId) {
        b.allow(with(INPUT, "max_tokens", "temperature", "top_k", "top_p", "seed", "stop_at_eos", "interventions", "stream"));
        int[] ids = tokens(b);
        int max = b.integer("max_tokens", Math.min(32, limits.maxNewTokens()));
        if (max < 1 || max > limits.maxNewTokens()) {
            throw ApiError.badRequest(b.field("max_tokens") + ": must be in 1.." + limits.maxNewTokens() + ", got " + max);
        }
        Sampling sampling;
        try {
            sampling = new Sampling(b.number("temperature", 0), b.integer("top_k", 0), b.number("top_p", 1), b.integer("seed", 0));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(b.path() + ": " + e.getMessage());
        }
        OptionalInt eos = b.bool("stop_at_eos", true) && loaded.tokenizer() != null ? loaded.tokenizer().eosId() : OptionalInt.empty();
        return new Generation(requestId, ids, max, sampling, eos, interventions(b, requestId));
    }

    /**
     * Queues a checked generation (refused with 429 when the queue is full); tokens go to {@code sink} as they are
     * chosen. {@link #finish} waits for all of them.
     */
    public CompletableFuture<int[]> start(Generation g, GenerateJob.Sink sink) {
        CompletableFuture<int[]> f = new CompletableFuture<>();
        scheduler.submit(new GenerateJob(g.requestId(), deadline(), g.prompt(), g.maxTokens(), g.sampling(), g.eos(), g.interventions(), sink, f));
        return f;
    }

    /** The new tokens of a started generation, within the request's time limit. */
    public int[] finish(CompletableFuture<int[]> started) {
        return await(started);
    }

    /** Text of {@code ids}, or null without a tokenizer. */
    public String decode(int[] ids) {
        return loaded.tokenizer() == null ? null : loaded.tokenizer().decode(ids);
    }

    private Function<Tensor, Tensor> objective(Body o, int[] ids) {
        if (o == null) return logits -> Ops.nextTokenLoss(logits, new int[][] {ids});
        o.allow(Set.of("type", "position", "target", "baseline"));
        String type = o.requireString("type");
        return switch (type) {
            case "loss" -> logits -> Ops.nextTokenLoss(logits, new int[][] {ids});
            case "logit_diff" -> {
                int pos = o.integer("position", -1);
                int p = pos < 0 ? ids.length + pos : pos;
                if (p < 0 || p >= ids.length) throw ApiError.badRequest(o.field("position") + ": " + pos + " is outside the " + ids.length + " input positions");
                int target = o.integer("target", -1), baseline = o.integer("baseline", -1);
                checkIds(new int[] {target}, o.field("target"));
                checkIds(new int[] {baseline}, o.field("baseline"));
                int vocab = model.config().dVocab();
                float[] w = new float[ids.length * vocab];
                w[p * vocab + target] += 1;
                w[p * vocab + baseline] -= 1;
                Tensor weights = Tensor.of(w, 1, ids.length, vocab);
                yield logits -> Ops.sum(Ops.mul(logits, weights));
            }
            default -> throw ApiError.badRequest(o.field("type") + ": expected \"loss\" or \"logit_diff\", got \"" + type + "\"");
        };
    }

    public static List<NamedTensor> unique(List<NamedTensor> out, String field) {
        Set<String> seen = new java.util.HashSet<>();
        for (NamedTensor t : out) {
            if (!seen.add(t.name())) {
                throw ApiError.badRequest(field + ": two entries produce an array named '" + t.name() + "'; name one with \"as\" (one hook per \"as\")");
            }
        }
        return out;
    }

    /**
     * What a request's readouts cost, from shapes alone and before anything runs: the activations recorded (each
     * selected hook, for every readout that names it) against {@code max_cache_bytes}, and the largest array each
     * readout builds on the way to its answer against {@code max_response_bytes}.
     */
    private void checkCost(List<Readout> readouts, int tokens, String field) {
        long recorded = 0, built = 0;
        for (Readout r : readouts) {
            if (r.hook().equals(LOGITS)) {
                built = saturatingAdd(built, r.peakBytes(new int[] {tokens, model.config().dVocab()}, Axes.PLAIN));
                continue;
            }
            for (HookSpec s : select(r.hook(), field)) {
                int[] shape = Shapes.row(model.config(), s, tokens);
                recorded = saturatingAdd(recorded, 4 * Shapes.numel(shape));
                built = saturatingAdd(built, r.peakBytes(shape, Axes.of(s.site())));
            }
        }
        if (recorded > limits.maxCacheBytes()) {
            throw ApiError.tooLarge(field + ": these hooks record " + recorded + " bytes for " + tokens + " tokens; the limit is "
                    + limits.maxCacheBytes() + " (select fewer hooks, or fewer tokens)");
        }
        if (built > limits.maxResponseBytes()) {
            throw ApiError.tooLarge(field + ": these readouts build " + built + " bytes of arrays (positions, heads and project multiply a row);"
                    + " the limit is " + limits.maxResponseBytes() + " (fewer or distinct positions, heads or directions)");
        }
    }

    private static long saturatingAdd(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    private List<Readout> readouts(Body b, String field) {
        List<Readout> out = new ArrayList<>();
        for (Body.Element e : b.array(field)) out.add(Readout.parse(e.node(), e.path()));
        return out;
    }

    /**
     * The request's interventions in the library's spec format, compiled (null when none). Each {@code resample}
     * input is a forward pass of its own, queued like any model work (a job of its own, so shorter requests can pass
     * between them; see {@link Scheduler}), under the same queue, time and token limits as the request's own.
     */
    public CompiledInterventions interventions(Body b, String requestId) {
        JsonNode field = b.raw("interventions");
        String where = b.field("interventions");
        Function<String, int[]> tokenize = loaded.tokenizer() == null ? null : text -> checkLength(loaded.tokens(checkChars(text, where)), where);
        return RowInterventions.compile(field, where, loaded, tensors, tokenize, (ids, hooks) -> {
            checkLength(ids, where);
            try {
                return forward(requestId, ids, null, hooks, false).activations();
            } catch (ApiError e) {
                if (e.status() == 400) throw new IllegalArgumentException(e.getMessage()); // the compiler names the spec's field
                throw e;
            }
        });
    }

    /**
     * Runs {@code work} on the model thread, alone, under the same queue, time and memory limits as any model
     * work (a full queue refuses it with 429; an OutOfMemoryError there is a clean 503). Model and dictionary work
     * of a request goes through here or {@link #forward}, never on the request thread. {@code cost} is its size in
     * token positions, by which the scheduler orders work ({@link dev.loupe.server.batch.Job#cost}).
     */
    public <T> T solo(String requestId, long cost, Supplier<T> work) {
        return solo(requestId, cost, (LongFunction<T>) deadline -> work.get());
    }

    /**
     * As {@link #solo(String, long, Supplier)} for work that can stop itself at the request's deadline (a
     * {@link System#nanoTime} it is given), so that a long job frees the model thread when its client stops waiting.
     */
    public <T> T solo(String requestId, long cost, LongFunction<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        long deadline = deadline();
        scheduler.submit(new SoloJob<>(requestId, deadline, cost, () -> work.apply(deadline), f));
        return await(f);
    }

    private List<HookSpec> select(String pattern, String field) {
        try {
            return HookPattern.select(model.hooks(), pattern);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(field + ": " + e.getMessage());
        }
    }

    /** The input ids of a request: {@code tokens}, or {@code prompt} tokenized (with BOS unless {@code bos} is false). */
    public int[] tokens(Body b) {
        checkModel(b);
        int[] ids = b.ints("tokens");
        if (ids != null && b.has("prompt")) throw ApiError.badRequest(b.path() + ": give either 'prompt' or 'tokens', not both");
        if (ids == null) {
            String prompt = b.string("prompt", null);
            if (prompt == null) throw ApiError.badRequest(b.path() + ": 'prompt' (text) or 'tokens' (ids) is required");
            checkChars(prompt, b.field("prompt"));
            ids = b.bool("bos", true) ? loaded.tokens(prompt) : tokenizer().encode(prompt);
        } else {
            checkIds(ids, b.field("tokens"));
        }
        if (ids.length == 0) throw ApiError.badRequest(b.path() + ": the input has no tokens");
        return checkLength(ids, b.path());
    }

    private int[] checkLength(int[] ids, String what) {
        if (ids.length > limits.maxTokens()) {
            throw ApiError.tooLarge(what + ": the input has " + ids.length + " tokens; this server accepts at most " + limits.maxTokens());
        }
        if (ids.length > model.config().nCtx()) {
            throw ApiError.tooLarge(what + ": the input has " + ids.length + " tokens; the model's context is " + model.config().nCtx());
        }
        return ids;
    }

    /**
     * Text longer than {@code max_tokens} tokens of the vocabulary's longest string cannot fit, so it is refused
     * before the tokenizer spends time (and its cache) on it.
     */
    private String checkChars(String text, String what) {
        long most = (long) limits.maxTokens() * longestToken;
        if (text.length() > most) {
            throw ApiError.tooLarge(what + ": " + text.length() + " characters cannot fit in " + limits.maxTokens()
                    + " tokens (the longest token is " + longestToken + " characters)");
        }
        return text;
    }

    private void checkIds(int[] ids, String what) {
        int vocab = model.config().dVocab();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) throw ApiError.badRequest(what + "[" + i + "]: token id " + ids[i] + " is outside 0.." + (vocab - 1));
        }
    }

    /**
     * An optional {@code model} field must name the served model. Models are chosen when the server starts;
     * anything that looks like a path is refused outright, so no request can point the server at a file.
     */
    private void checkModel(Body b) {
        String m = b.string("model", null);
        if (m == null) return;
        if (ModelNames.pathLike(m)) {
            throw ApiError.badRequest(b.field("model") + ": '" + m + "' looks like a file path; models are chosen when the server starts, and requests name them only by name ('" + name + "')");
        }
        if (!m.equals(name)) throw new ApiError(404, b.field("model") + ": no model named '" + m + "'; this server serves '" + name + "'");
    }

    private Tokenizer tokenizer() {
        Tokenizer t = loaded.tokenizer();
        if (t == null) throw ApiError.badRequest("this server's model has no tokenizer: send token ids ('tokens') instead of text");
        return t;
    }

    public ObjectNode inputExtras(int[] ids) {
        ObjectNode o = Body.JSON.createObjectNode();
        o.put("model", name);
        ArrayNode t = o.putArray("tokens");
        for (int id : ids) t.add(id);
        return o;
    }

    private long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.timeoutMillis());
    }

    private <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(limits.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.CancellationException e) { // the latter: long work that stopped itself at the deadline
            throw pastTimeLimit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiError a) throw a;
            if (e.getCause() instanceof IllegalArgumentException a) throw ApiError.badRequest(a.getMessage());
            throw new IllegalStateException("model run failed: " + e.getCause(), e.getCause());
        }
    }

    private ApiError pastTimeLimit() {
        return new ApiError(503, "the request ran past its time limit of " + limits.timeoutMillis() + " ms");
    }

    /** One row of a [1, ...] tensor as an array without the batch axis. */
    public static Array rowArray(Tensor t) {
        int[] s = t.shape();
        return new Array(t.data(), java.util.Arrays.copyOfRange(s, 1, s.length));
    }

    public static Set<String> with(Set<String> base, String... more) {
        Set<String> s = new java.util.HashSet<>(base);
        s.addAll(List.of(more));
        return s;
    }
}
