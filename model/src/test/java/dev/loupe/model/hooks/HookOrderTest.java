package dev.loupe.model.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.SharedModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hook list is a contract: names, order and shapes. */
class HookOrderTest {
    @Test
    void gpt2HookNamesInForwardOrder() {
        HookedTransformer m = SharedModels.load("gpt2-tiny-random");
        List<String> names = m.hooks().specs().stream().map(HookSpec::name).toList();
        List<String> expected = new ArrayList<>(List.of("hook_embed", "hook_pos_embed"));
        for (int l = 0; l < 2; l++) {
            for (String s : List.of("hook_resid_pre", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k", "attn.hook_v",
                    "attn.hook_attn_scores", "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
                    "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_post", "hook_mlp_out", "hook_resid_post")) {
                expected.add("blocks." + l + "." + s);
            }
        }
        expected.add("ln_final.hook_normalized");
        assertEquals(expected, names);
        assertEquals("blocks.0.attn.hook_q [batch, pos, n_heads=4, d_head=16]", m.hooks().get("blocks.0.attn.hook_q").toString());
    }

    @Test
    void llamaAndNeoxBlocksHaveTheirOwnPoints() {
        List<String> llama = blockNames(SharedModels.load("stories260K-hf"));
        assertEquals(List.of("hook_resid_pre", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_rot_q",
                "attn.hook_rot_k", "attn.hook_attn_scores", "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
                "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"), llama);
        List<String> neox = blockNames(SharedModels.load("pythia-tiny-random"));
        assertTrue(!neox.contains("hook_resid_mid") && neox.contains("attn.hook_rot_q"), "parallel residual has no resid_mid: " + neox);
    }

    private static final List<String> LLAMA_ATTN = List.of("attn.hook_q", "attn.hook_k", "attn.hook_v");
    private static final List<String> ROTARY_ATTN = List.of("attn.hook_rot_q", "attn.hook_rot_k", "attn.hook_attn_scores",
            "attn.hook_pattern", "attn.hook_z");
    private static final List<String> QK_NORMS = List.of("attn.q_norm.hook_normalized", "attn.k_norm.hook_normalized");

    /** The new architectures' blocks, hook for hook, in forward order (names as TransformerLens gives them). */
    @Test
    void gemmaQwenAndMistralBlocksInForwardOrder() {
        List<String> gemma2 = join(List.of("hook_resid_pre", "ln1.hook_normalized"), LLAMA_ATTN, ROTARY_ATTN,
                List.of("ln1_post.hook_normalized", "hook_attn_out", "hook_resid_mid", "ln2.hook_normalized", "mlp.hook_pre",
                        "mlp.hook_pre_linear", "mlp.hook_post", "ln2_post.hook_normalized", "hook_mlp_out", "hook_resid_post"));
        assertEquals(gemma2, blockNames(SharedModels.load("gemma2-tiny-random")));
        List<String> gemma3 = join(List.of("hook_resid_pre", "ln1.hook_normalized"), LLAMA_ATTN, QK_NORMS, ROTARY_ATTN,
                gemma2.subList(2 + LLAMA_ATTN.size() + ROTARY_ATTN.size(), gemma2.size()));
        assertEquals(gemma3, blockNames(SharedModels.load("gemma3-tiny-random")));
        List<String> llamaTail = List.of("hook_attn_out", "hook_resid_mid", "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_pre_linear",
                "mlp.hook_post", "hook_mlp_out", "hook_resid_post");
        assertEquals(join(List.of("hook_resid_pre", "ln1.hook_normalized"), LLAMA_ATTN, QK_NORMS, ROTARY_ATTN, llamaTail),
                blockNames(SharedModels.load("qwen3-tiny-random")));
        assertEquals(blockNames(SharedModels.load("qwen3-tiny-random")), blockNames(SharedModels.load("qwen3-tiny-random-bf16")));
        assertEquals(join(List.of("hook_resid_pre", "ln1.hook_normalized"), LLAMA_ATTN, ROTARY_ATTN, llamaTail),
                blockNames(SharedModels.load("mistral-tiny-random")));
        for (String name : List.of("gemma2-tiny-random", "gemma3-tiny-random", "qwen3-tiny-random", "mistral-tiny-random")) {
            List<HookSpec> specs = SharedModels.load(name).hooks().specs();
            assertEquals("hook_embed", specs.get(0).name(), name);
            assertEquals("ln_final.hook_normalized", specs.get(specs.size() - 1).name(), name);
            int layers = SharedModels.load(name).config().nLayers();
            assertEquals(2 + layers * blockNames(SharedModels.load(name)).size(), specs.size(), name + ": embed, blocks, final norm only");
        }
        assertEquals("blocks.1.attn.q_norm.hook_normalized [batch, pos, n_heads=4, d_head=32]",
                SharedModels.load("gemma3-tiny-random").hooks().get("blocks.1.attn.q_norm.hook_normalized").toString());
        assertEquals("blocks.1.attn.k_norm.hook_normalized [batch, pos, n_kv_heads=1, d_head=32]",
                SharedModels.load("gemma3-tiny-random").hooks().get("blocks.1.attn.k_norm.hook_normalized").toString());
    }

    @SafeVarargs
    private static List<String> join(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) out.addAll(p);
        return out;
    }

    private static List<String> blockNames(HookedTransformer m) {
        return m.hooks().specs().stream().filter(s -> s.layer() == 0).map(s -> s.name().substring("blocks.0.".length())).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random",
            "qwen3-tiny-random", "mistral-tiny-random"})
    void hooksFireInListedOrderWithListedShapes(String name) {
        HookedTransformer m = SharedModels.load(name);
        List<String> fired = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        Hooks hooks = Hooks.builder(m.hooks()).add("*", (x, ctx) -> {
            fired.add(ctx.hook().name());
            shapes.add(x.shape());
            return x;
        }).build();
        m.forward(new int[][] {{1, 2, 3}, {4, 5, 6}}, hooks, null, dev.loupe.model.ForwardOptions.FULL);
        assertEquals(m.hooks().specs().stream().map(HookSpec::name).toList(), fired);
        for (int i = 0; i < fired.size(); i++) {
            HookSpec spec = m.hooks().specs().get(i);
            int[] expected = spec.site().dims().stream()
                    .mapToInt(d -> d == Dim.BATCH ? 2 : d.positional() ? 3 : m.config().size(d)).toArray();
            assertEquals(Arrays.toString(expected), Arrays.toString(shapes.get(i)), spec + " fired with another shape");
            assertEquals(spec.shape().replaceAll("=\\d+", ""), spec.site().shape(), spec + ": listed shape from the site's axes");
        }
    }

    @Test
    void unknownHookSuggestsNearestNames() {
        HookedTransformer m = SharedModels.load("gpt2-tiny-random");
        var e = assertThrows(IllegalArgumentException.class,
                () -> m.runWithCache(new int[][] {{1}}, List.of("blocks.0.hook_resid_pr"), new ActivationCache()));
        assertTrue(e.getMessage().contains("unknown hook 'blocks.0.hook_resid_pr'") && e.getMessage().contains("blocks.0.hook_resid_pre"),
                e.getMessage());
    }

    @Test
    void hookMayReplaceActivationButNotItsShape() {
        HookedTransformer m = SharedModels.load("gpt2-tiny-random");
        int[][] tokens = {{5, 6, 7}};
        Tensor clean = m.forward(tokens);
        Hooks zero = Hooks.builder(m.hooks()).add("blocks.1.hook_mlp_out", (x, ctx) -> Tensor.zeros(x.shape())).build();
        Tensor ablated = m.forward(tokens, zero, null, dev.loupe.model.ForwardOptions.FULL);
        assertTrue(!Arrays.equals(clean.data(), ablated.data()), "zero-ablating the last MLP changes the logits");
        Hooks bad = Hooks.builder(m.hooks()).add("blocks.0.hook_resid_pre", (x, ctx) -> Tensor.zeros(1, 1)).build();
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(tokens, bad, null, dev.loupe.model.ForwardOptions.FULL));
        assertTrue(e.getMessage().contains("blocks.0.hook_resid_pre") && e.getMessage().contains("[1, 1]"), e.getMessage());
    }
}
