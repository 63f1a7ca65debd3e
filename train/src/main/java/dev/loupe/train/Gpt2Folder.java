package dev.loupe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.TransformerWeights.Block;
import dev.loupe.model.TransformerWeights.Linear;
import dev.loupe.model.TransformerWeights.Norm;
import dev.loupe.model.TransformerWeights;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a GPT-2-architecture model as a standard Hugging Face folder: {@code config.json} for
 * {@code GPT2LMHeadModel} and {@code model.safetensors} under GPT-2's tensor names (Conv1D weights [in, out],
 * unembedding tied to {@code wte}). An attention-only model is written as standard GPT-2 with
 * {@code "n_inner": 1} and all-zero MLP tensors (GELU(0)·0 + 0 = 0, so every GPT-2 implementation computes
 * exactly the attention-only function) and {@code "loupe_attn_only": true}, from which Loupe rebuilds the
 * attention-only structure (no ln2, no MLP hooks). Zero-width MLPs ({@code n_inner: 0}) would be closer to the
 * truth but Hugging Face's Conv1D cannot reshape a zero-width input.
 */
public final class Gpt2Folder {
    private static final ObjectMapper JSON = Json.MAPPER;
    /** MLP width of an attention-only model's all-zero stand-in MLPs. */
    static final int ZERO_MLP_WIDTH = 1;

    private Gpt2Folder() {}

    /** Writes {@code config.json} and {@code model.safetensors} into {@code dir} (each atomically). */
    public static void write(HookedTransformer model, int endOfTextId, Path dir) throws IOException {
        TransformerConfig c = model.config();
        TransformerWeights w = model.weights();
        if (w.unembed().weight() != w.embed().tokens()) throw new IllegalArgumentException("GPT-2 folders tie the unembedding to wte");
        SafeTensorsWriter st = new SafeTensorsWriter().metadata("format", "pt");
        String p = "transformer.";
        st.add(p + "wte.weight", w.embed().tokens());
        st.add(p + "wpe.weight", w.embed().positions());
        for (int l = 0; l < c.nLayers(); l++) {
            Block b = w.blocks().get(l);
            String h = p + "h." + l + ".";
            norm(st, h + "ln_1", b.ln1());
            conv1d(st, h + "attn.c_attn", b.attn().qkv());
            conv1d(st, h + "attn.c_proj", b.attn().out());
            if (c.attnOnly()) {
                norm(st, h + "ln_2", new Norm(ones(c.dModel()), Tensor.zeros(c.dModel())));
                conv1d(st, h + "mlp.c_fc", new Linear(Tensor.zeros(ZERO_MLP_WIDTH, c.dModel()), Tensor.zeros(ZERO_MLP_WIDTH)));
                conv1d(st, h + "mlp.c_proj", new Linear(Tensor.zeros(c.dModel(), ZERO_MLP_WIDTH), Tensor.zeros(c.dModel())));
            } else {
                norm(st, h + "ln_2", b.ln2());
                conv1d(st, h + "mlp.c_fc", b.mlp().in());
                conv1d(st, h + "mlp.c_proj", b.mlp().out());
            }
        }
        norm(st, p + "ln_f", w.lnFinal());
        st.write(dir.resolve(SafeTensors.SINGLE_FILE));
        Json.write(dir.resolve(Checkpoints.CONFIG_FILE), config(c, endOfTextId));
    }

    static ObjectNode config(TransformerConfig c, int endOfTextId) {
        ObjectNode j = JSON.createObjectNode();
        j.putArray("architectures").add("GPT2LMHeadModel");
        j.put("model_type", "gpt2");
        j.put("vocab_size", c.dVocab()).put("n_positions", c.nCtx()).put("n_ctx", c.nCtx()).put("n_embd", c.dModel())
                .put("n_layer", c.nLayers()).put("n_head", c.nHeads()).put("n_inner", c.attnOnly() ? ZERO_MLP_WIDTH : c.dMlp())
                .put("activation_function", "gelu_new").put("layer_norm_epsilon", (double) c.normEps())
                .put("resid_pdrop", 0.0).put("embd_pdrop", 0.0).put("attn_pdrop", 0.0).put("initializer_range", GptShape.INIT_STD)
                .put("bos_token_id", endOfTextId).put("eos_token_id", endOfTextId).put("tie_word_embeddings", true)
                .put("torch_dtype", "float32");
        if (c.attnOnly()) j.put("loupe_attn_only", true);
        return j;
    }

    private static void norm(SafeTensorsWriter st, String prefix, Norm n) {
        st.add(prefix + ".weight", n.gain());
        st.add(prefix + ".bias", n.bias());
    }

    /** Canonical [out, in] to GPT-2's Conv1D [in, out]. */
    private static void conv1d(SafeTensorsWriter st, String prefix, Linear lin) {
        Tensor w = lin.weight();
        st.add(prefix + ".weight", dev.loupe.model.format.DType.F32, new int[] {w.size(1), w.size(0)}, () -> Ops.transpose(w));
        st.add(prefix + ".bias", lin.bias());
    }

    private static Tensor ones(int n) {
        float[] d = new float[n];
        java.util.Arrays.fill(d, 1f);
        return Tensor.of(d, n);
    }
}
