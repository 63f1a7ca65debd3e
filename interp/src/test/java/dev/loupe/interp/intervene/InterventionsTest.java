package dev.loupe.interp.intervene;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.interp.Stories;
import dev.loupe.model.ForwardOptions;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.Hooks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interventions compiled against the pretrained stories260K model (d_model 64, 5 layers, 8 heads, 4 KV heads). */
class InterventionsTest {
    private LoadedModel loaded;
    private HookedTransformer model;
    private int[] clean;
    private int[] corrupt;

    @BeforeEach
    void load() {
        loaded = Stories.load();
        model = loaded.transformer();
        clean = loaded.tokens("Once upon a time, there was a little dog named Max.");
        corrupt = loaded.tokens("Once upon a time, there was a big cat named Sue.");
        corrupt = Arrays.copyOf(corrupt, clean.length);
        for (int i = 0; i < corrupt.length; i++) if (corrupt[i] == 0) corrupt[i] = clean[i];
    }

    private Tensor run(int[][] tokens, TensorResolver resolver, Intervention... ivs) {
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(ivs), model, resolver, loaded::tokens);
        return model.forward(tokens, c.hooks(), null, ForwardOptions.FULL);
    }

    private static Intervention iv(String hook, Operation op) {
        return new Intervention(hook, op, Scope.EVERYWHERE);
    }

    private static Intervention iv(String hook, Operation op, Positions positions, int[] heads, int[] rows) {
        return new Intervention(hook, op, new Scope(positions, heads, rows));
    }

    private static TensorRef inline(float... v) {
        return new TensorRef.Inline(v);
    }

    /**
     * Both runs are repeated and the last ones compared: a cold JVM's first forward passes can round
     * differently (in the last bit) from JIT-compiled ones, with or without hooks.
     */
    @Test
    void addingAZeroVectorChangesNothingBitForBit() {
        Tensor plain = null, steered = null;
        for (int i = 0; i < 3; i++) {
            plain = model.forward(new int[][] {clean});
            steered = run(new int[][] {clean}, TensorResolver.EMPTY,
                    iv("blocks.2.hook_resid_post", new Operation.Add(inline(new float[64]), 4f)),
                    iv("blocks.1.attn.hook_z", new Operation.Add(inline(new float[8]), -3f), Positions.ALL, new int[] {1, 5}, null));
        }
        assertArrayEquals(plain.data(), steered.data());
    }

    @Test
    void patchingARunWithItsOwnCacheReproducesIt() {
        ActivationCache cache = new ActivationCache();
        List<String> hooks = List.of("blocks.*.hook_resid_post", "blocks.*.attn.hook_z", "blocks.*.attn.hook_pattern", "blocks.*.attn.hook_v",
                "blocks.*.mlp.hook_post");
        Tensor plain = model.runWithCache(new int[][] {clean}, hooks, cache);
        Intervention[] patches = hooks.stream().map(h -> iv(h, new Operation.Patch(null))).toArray(Intervention[]::new);
        assertArrayEquals(plain.data(), run(new int[][] {clean}, TensorResolver.of(cache), patches).data());
    }

    @Test
    void fullPatchOfTheLastResidualRecoversTheCleanLogits() {
        String last = "blocks." + (model.config().nLayers() - 1) + ".hook_resid_post";
        ActivationCache cache = new ActivationCache();
        Tensor cleanLogits = model.runWithCache(new int[][] {clean}, List.of(last), cache);
        Tensor corruptLogits = model.forward(new int[][] {corrupt});
        assertFalse(Arrays.equals(cleanLogits.data(), corruptLogits.data()));
        Tensor patched = run(new int[][] {corrupt}, TensorResolver.of(Map.of("clean", cache.get(last))),
                iv(last, new Operation.Patch(new TensorRef.Named("clean"))));
        assertArrayEquals(cleanLogits.data(), patched.data());
    }

    @Test
    void perHeadPatchReplacesOnlyThatHead() {
        String z = "blocks.1.attn.hook_z";
        ActivationCache source = new ActivationCache(), base = new ActivationCache(), edited = new ActivationCache();
        model.runWithCache(new int[][] {corrupt}, List.of(z), source);
        model.runWithCache(new int[][] {clean}, List.of(z), base);
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(iv(z, new Operation.Patch(new TensorRef.Named("src")), Positions.ALL,
                new int[] {2}, null)), model, TensorResolver.of(Map.of("src", source.get(z))), null);
        model.forward(new int[][] {clean}, c.addTo(Hooks.builder(model.hooks())).cache(List.of(z), edited).build(), null, ForwardOptions.FULL);
        Tensor e = edited.get(z), s = source.get(z), b = base.get(z);
        for (int p = 0; p < clean.length; p++) {
            for (int h = 0; h < 8; h++) {
                Tensor expect = h == 2 ? s : b;
                for (int i = 0; i < 8; i++) assertEquals(expect.get(0, p, h, i), e.get(0, p, h, i));
            }
        }
    }

    @Test
    void resampleEqualsPatchingFromThatInputsCache() {
        String hook = "blocks.2.hook_resid_mid";
        ActivationCache cache = new ActivationCache();
        model.runWithCache(new int[][] {corrupt}, List.of(hook), cache);
        Positions tail = new Positions.Range(clean.length - 6, clean.length - 1);
        Tensor viaPatch = run(new int[][] {clean}, TensorResolver.of(cache), iv(hook, new Operation.Patch(null), tail, null, null));
        Tensor viaResample = run(new int[][] {clean}, TensorResolver.EMPTY, iv(hook, new Operation.Resample(corrupt, null), tail, null, null));
        assertArrayEquals(viaPatch.data(), viaResample.data());
        assertFalse(Arrays.equals(viaPatch.data(), model.forward(new int[][] {clean}).data()));
        SpecException tooShort = assertThrows(SpecException.class, () -> run(new int[][] {clean}, TensorResolver.EMPTY,
                iv(hook, new Operation.Resample(null, "Hi"))));
        assertTrue(tooShort.getMessage().startsWith("interventions[0]: the resample input covers positions [0, "), tooShort.getMessage());
    }

    @Test
    void meanAblationWritesTheDatasetMeans(@TempDir Path dir) throws Exception {
        String hook = "blocks.1.hook_resid_post", z = "blocks.0.attn.hook_z";
        List<int[]> data = List.of(loaded.tokens("The sun was bright."), loaded.tokens("Tom had a red ball and a toy car."), clean);
        MeanActivations means = MeanActivations.compute(model, data, List.of(hook, z));
        assertEquals(3, means.sequences());
        Path file = dir.resolve("means.safetensors");
        means.save(file, "stories260K", "three sentences");
        try (WeightStore store = SafeTensors.open(file)) {
            assertEquals(MeanActivations.FORMAT, store.metadata().get("format"));
            assertEquals(Integer.toString(data.stream().mapToInt(d -> d.length).sum()), store.metadata().get("tokens"));
            ActivationCache seen = new ActivationCache();
            CompiledInterventions c = Interventions.compile(InterventionSpec.of(iv(hook, new Operation.Mean(null), new Positions.At(new int[] {3}), null, null),
                    iv(z, new Operation.Mean(null), Positions.ALL, new int[] {4}, null)), model, TensorResolver.of(List.of(store)), null);
            model.forward(new int[][] {clean}, c.addTo(Hooks.builder(model.hooks())).cache(List.of(hook, z), seen).build(), null, ForwardOptions.FULL);
            Tensor m = store.tensor(hook), mz = store.tensor(z);
            for (int i = 0; i < 64; i++) assertEquals(m.get(i), seen.get(hook).get(0, 3, i));
            assertNotEquals(m.get(0), seen.get(hook).get(0, 2, 0));
            for (int i = 0; i < 8; i++) assertEquals(mz.get(4, i), seen.get(z).get(0, 5, 4, i));
        }
    }

    @Test
    void projectionsSplitTheActivation() {
        String hook = "blocks.2.hook_resid_post";
        float[] u = new float[64];
        for (int i = 0; i < 64; i++) u[i] = (float) Math.sin(i + 1);
        ActivationCache plain = new ActivationCache(), out = new ActivationCache(), onto = new ActivationCache();
        model.runWithCache(new int[][] {clean}, List.of(hook), plain);
        for (var c : List.of(out, onto)) {
            Operation op = c == out ? new Operation.ProjectOut(inline(u)) : new Operation.ProjectOnto(inline(u));
            CompiledInterventions ci = Interventions.compile(InterventionSpec.of(iv(hook, op)), model, TensorResolver.EMPTY, null);
            model.forward(new int[][] {clean}, ci.addTo(Hooks.builder(model.hooks())).cache(List.of(hook), c).build(), null, ForwardOptions.FULL);
        }
        double norm = 0;
        for (float v : u) norm += v * v;
        for (int p = 0; p < clean.length; p++) {
            double dot = 0;
            for (int i = 0; i < 64; i++) {
                dot += out.get(hook).get(0, p, i) * u[i] / Math.sqrt(norm);
                assertEquals(plain.get(hook).get(0, p, i), out.get(hook).get(0, p, i) + onto.get(hook).get(0, p, i), 1e-4);
            }
            assertEquals(0, dot, 1e-4);
        }
    }

    @Test
    void clampLimitsTheValues() {
        String hook = "blocks.3.mlp.hook_post";
        ActivationCache seen = new ActivationCache();
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(iv(hook, new Operation.Clamp(-0.1f, 0.2f))), model, TensorResolver.EMPTY, null);
        model.forward(new int[][] {clean}, c.addTo(Hooks.builder(model.hooks())).cache(List.of(hook), seen).build(), null, ForwardOptions.FULL);
        for (float v : seen.get(hook).data()) assertTrue(v >= -0.1f && v <= 0.2f);
    }

    /**
     * Different interventions on different rows of one batch give what each row gives alone: to 1e-6
     * of the largest logit, since the model's matrix products round differently for another number of rows (the plain
     * forward itself differs by a few ulps between batch 2 and batch 1).
     */
    @Test
    void batchedRowsWithDifferentInterventionsEqualEachRowAlone() {
        float[] v = new float[64], u = new float[64];
        for (int i = 0; i < 64; i++) {
            v[i] = (float) Math.cos(i) * 0.5f;
            u[i] = (float) Math.sin(3 * i);
        }
        List<List<Intervention>> perRow = List.of(
                List.of(iv("blocks.1.hook_resid_post", new Operation.Add(inline(v), 3f)),
                        iv("blocks.2.attn.hook_pattern", new Operation.Zero(), new Positions.Range(4, 100), new int[] {0, 7}, null),
                        iv("blocks.3.mlp.hook_post", new Operation.Clamp(-0.5f, 0.5f))),
                List.of(iv("blocks.2.hook_resid_pre", new Operation.ProjectOut(inline(u))),
                        iv("blocks.0.attn.hook_v", new Operation.Set(new TensorRef.Scalar(0.25f)), new Positions.At(new int[] {2, 6, 9}), new int[] {3}, null),
                        iv("blocks.1.attn.hook_z", new Operation.Resample(clean, null), new Positions.Range(0, clean.length), new int[] {5}, null)));
        List<Intervention> batched = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            for (Intervention i : perRow.get(r)) batched.add(iv(i.hook(), i.op(), i.scope().positions(), i.scope().heads(), new int[] {r}));
        }
        int[][] prompts = {clean, corrupt};
        Tensor both = run(prompts, TensorResolver.EMPTY, batched.toArray(Intervention[]::new));
        int[][] generatedBoth = generate(prompts, batched);
        int vocab = model.config().dVocab(), n = clean.length * vocab;
        for (int r = 0; r < 2; r++) {
            Tensor alone = run(new int[][] {prompts[r]}, TensorResolver.EMPTY, perRow.get(r).toArray(Intervention[]::new));
            float[] row = Arrays.copyOfRange(both.data(), r * n, (r + 1) * n);
            double err = 0, scale = 0;
            for (int i = 0; i < n; i++) {
                err = Math.max(err, Math.abs(alone.data()[i] - row[i]));
                scale = Math.max(scale, Math.abs(alone.data()[i]));
            }
            assertTrue(err <= 1e-6 * scale, "row " + r + ": max error " + err + " over max |logit| " + scale);
            assertArrayEquals(generate(new int[][] {prompts[r]}, perRow.get(r))[0], generatedBoth[r], "row " + r);
        }
        assertFalse(Arrays.equals(generatedBoth[1], generate(new int[][] {corrupt}, List.of())[0]));
    }

    private int[][] generate(int[][] prompts, List<Intervention> ivs) {
        CompiledInterventions c = Interventions.compile(new InterventionSpec(1, ivs), model, TensorResolver.EMPTY, null);
        return new Generator(model).generate(prompts, 20, Sampling.GREEDY, OptionalInt.empty(), c.hooks(), null);
    }

    /** Records, for every forward call, its start position and which positions arrived zeroed. */
    private List<String> zeroedPositions(int[] prompt, Positions where) {
        String hook = "blocks.1.hook_resid_post";
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(iv(hook, new Operation.Zero(), where, null, null)), model, TensorResolver.EMPTY, null);
        List<String> calls = new ArrayList<>();
        Hooks hooks = c.addTo(Hooks.builder(model.hooks())).add(hook, (x, ctx) -> {
            StringBuilder zeroed = new StringBuilder();
            for (int p = 0; p < x.size(1); p++) {
                boolean zero = true;
                for (int i = 0; i < 64; i++) zero &= x.get(0, p, i) == 0f;
                if (zero) zeroed.append(ctx.startPosition() + p);
            }
            calls.add(ctx.startPosition() + ":" + zeroed);
            return x;
        }).build();
        new Generator(model).generate(new int[][] {prompt}, 6, Sampling.GREEDY, OptionalInt.empty(), hooks, null);
        return calls;
    }

    @Test
    void positionsAreAbsoluteThroughGeneration() {
        int[] three = Arrays.copyOf(clean, 3);
        assertEquals(List.of("0:", "3:", "4:", "5:5", "6:", "7:"), zeroedPositions(three, new Positions.At(new int[] {5})));
        int[] eight = Arrays.copyOf(clean, 8);
        assertEquals(List.of("0:5", "8:", "9:", "10:", "11:", "12:"), zeroedPositions(eight, new Positions.At(new int[] {5})));
        assertEquals(List.of("0:", "3:", "4:45", "5:45", "6:", "7:").subList(1, 2), zeroedPositions(three, new Positions.Range(4, 6)).subList(1, 2));
        assertEquals(List.of("0:", "3:", "4:4", "5:5", "6:", "7:"), zeroedPositions(three, new Positions.Range(4, 6)));
    }

    @Test
    void gradientsFlowIntoASteeringVectorAndStopAtAblations() {
        String hook = "blocks.2.hook_resid_post";
        float[] init = new float[64];
        for (int i = 0; i < 64; i++) init[i] = 0.1f * (float) Math.cos(i);
        Tensor v = Tensor.of(init.clone(), 64).requiresGrad(true);
        int[][] tokens = {clean};
        Intervention[] ivs = {iv(hook, new Operation.Add(new TensorRef.Named("v"), 2f)),
            iv("blocks.1.hook_resid_post", new Operation.Zero(), new Positions.At(new int[] {3}), null, null)};
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(ivs), model, TensorResolver.of(Map.of("v", v)), null);
        Tensor[] residGrad = new Tensor[1];
        Hooks.Builder b = Hooks.builder(model.hooks()).add("hook_embed", (x, ctx) -> x.requiresGrad(true))
                .addBackward("blocks.1.hook_resid_post", (g, ctx) -> residGrad[0] = g);
        Tensor loss = Ops.nextTokenLoss(model.forward(tokens, c.addTo(b).build(), null, ForwardOptions.FULL), tokens);
        Autograd.backward(loss);
        for (int i = 0; i < 64; i++) assertEquals(0f, residGrad[0].get(0, 3, i), "gradient through the zeroed position");
        assertNotEquals(0f, residGrad[0].get(0, 2, 0));
        for (int i : new int[] {0, 17, 40}) {
            double eps = 1e-2;
            double up = lossWith(init, i, eps, ivs, tokens), down = lossWith(init, i, -eps, ivs, tokens);
            assertEquals((up - down) / (2 * eps), v.grad().get(i), 2e-3, "d loss / d v[" + i + "]");
        }
    }

    private double lossWith(float[] init, int i, double eps, Intervention[] ivs, int[][] tokens) {
        float[] w = init.clone();
        w[i] += (float) eps;
        CompiledInterventions c = Interventions.compile(InterventionSpec.of(ivs), model, TensorResolver.of(Map.of("v", Tensor.of(w, 64))), null);
        return Ops.nextTokenLoss(model.forward(tokens, c.hooks(), null, ForwardOptions.FULL), tokens).get(0);
    }

    private String compileError(TensorResolver resolver, Intervention iv) {
        return assertThrows(SpecException.class, () -> Interventions.compile(InterventionSpec.of(iv("blocks.0.hook_resid_pre", new Operation.Zero()), iv),
                model, resolver, null)).getMessage();
    }

    @Test
    void invalidSpecsNameTheFieldAndWhatWasExpected() {
        assertTrue(compileError(TensorResolver.EMPTY, iv("blocks.2.hook_resid_pots", new Operation.Zero()))
                .startsWith("interventions[1].hook: unknown hook 'blocks.2.hook_resid_pots'; nearest: blocks.2.hook_resid_post"));
        // docs/sae.md: a spec compiles against the model's own hooks, so an SAE's attached points are refused by name
        assertTrue(compileError(TensorResolver.EMPTY, iv("blocks.2.hook_resid_post.hook_sae_acts_post", new Operation.Zero()))
                .startsWith("interventions[1].hook: unknown hook 'blocks.2.hook_resid_post.hook_sae_acts_post'"));
        assertEquals("interventions[1].vector: vector has 768 values but blocks.2.hook_resid_post has width d_model=64",
                compileError(TensorResolver.EMPTY, iv("blocks.2.hook_resid_post", new Operation.Add(inline(new float[768]), 1f))));
        assertEquals("interventions[1].vector: vector has 5 values but blocks.2.attn.hook_z has width d_head=8 (or 8·8=64 for one slice per head)",
                compileError(TensorResolver.EMPTY, iv("blocks.2.attn.hook_z", new Operation.Add(inline(new float[5]), 1f))));
        assertEquals("interventions[1].heads: head 4 is out of range: blocks.0.attn.hook_k has 4 heads (n_kv_heads)",
                compileError(TensorResolver.EMPTY, iv("blocks.0.attn.hook_k", new Operation.Zero(), Positions.ALL, new int[] {4}, null)));
        assertTrue(compileError(TensorResolver.EMPTY, iv("blocks.0.hook_resid_post", new Operation.Zero(), Positions.ALL, new int[] {0}, null))
                .startsWith("interventions[1].heads: blocks.0.hook_resid_post has no heads axis"));
        assertTrue(compileError(TensorResolver.EMPTY, iv("blocks.0.attn.hook_pattern", new Operation.Add(inline(1f), 1f)))
                .startsWith("interventions[1].vector: blocks.0.attn.hook_pattern ends in key positions"));
        assertEquals("interventions[1].source: no tensor named 'clen'; nearest: [clean, other]",
                compileError(TensorResolver.of(Map.of("clean", Tensor.zeros(1, 3, 64), "other", Tensor.zeros(1))),
                        iv("blocks.0.hook_resid_post", new Operation.Patch(new TensorRef.Named("clen")))));
        assertEquals("interventions[1].source: tensor of shape [1, 3, 32] does not fit blocks.0.hook_resid_post [batch, pos, d_model=64]",
                compileError(TensorResolver.of(Map.of("clean", Tensor.zeros(1, 3, 32))),
                        iv("blocks.0.hook_resid_post", new Operation.Patch(new TensorRef.Named("clean")))));
        assertEquals("interventions[1].means: mean of shape [32] does not fit blocks.0.attn.hook_z, which needs [8, 8] per position",
                compileError(TensorResolver.of(Map.of("blocks.0.attn.hook_z", Tensor.zeros(32))), iv("blocks.0.attn.hook_z", new Operation.Mean(null))));
        SpecException rows = assertThrows(SpecException.class, () -> run(new int[][] {clean}, TensorResolver.EMPTY,
                iv("blocks.0.hook_resid_post", new Operation.Zero(), Positions.ALL, null, new int[] {1})));
        assertEquals("interventions[0].rows: row 1 but the batch has 1 rows", rows.getMessage());
    }
}
