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

    private static List<String> blockNames(HookedTransformer m) {
        return m.hooks().specs().stream().filter(s -> s.layer() == 0).map(s -> s.name().substring("blocks.0.".length())).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random"})
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
            String declared = m.hooks().specs().get(i).shape();
            int[] s = shapes.get(i);
            assertEquals(declared.split(",").length, s.length, fired.get(i) + " rank: " + declared + " vs " + Arrays.toString(s));
            assertEquals(2, s[0], fired.get(i) + " batch");
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
