package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A GPT-2 ({@code GPT2LMHeadModel}) Hugging Face folder with random weights, for benchmarks: weights and
 * biases drawn from N(0, 0.02), LayerNorm gains 1 + N(0, 0.02). Each tensor has its own seeded stream,
 * so a seed always gives the same file, and tensors are generated one at a time while writing.
 */
record RandomGpt2(int layers, int dModel, int heads, int vocab, int ctx, long seed, DType dtype) {
    private static final float STD = 0.02f;

    RandomGpt2 {
        if (layers <= 0 || dModel <= 0 || heads <= 0 || vocab <= 0 || ctx <= 0) {
            throw new IllegalArgumentException("layers, d-model, heads, vocab and ctx must be positive");
        }
        if (dModel % heads != 0) throw new IllegalArgumentException("d-model " + dModel + " is not divisible by heads " + heads);
    }

    /** Writes {@code config.json} and {@code model.safetensors} into {@code dir}, each atomically. */
    void write(Path dir) throws IOException {
        RandomWeights w = new RandomWeights(new SafeTensorsWriter().metadata("format", "pt"), dtype, seed, STD);
        int d = dModel, mlp = 4 * dModel;
        w.normal("transformer.wte.weight", 0, vocab, d);
        w.normal("transformer.wpe.weight", 0, ctx, d);
        for (int l = 0; l < layers; l++) {
            String b = "transformer.h." + l + ".";
            layerNorm(w, b + "ln_1", d);
            w.normal(b + "attn.c_attn.weight", 0, d, 3 * d);
            w.normal(b + "attn.c_attn.bias", 0, 3 * d);
            w.normal(b + "attn.c_proj.weight", 0, d, d);
            w.normal(b + "attn.c_proj.bias", 0, d);
            layerNorm(w, b + "ln_2", d);
            w.normal(b + "mlp.c_fc.weight", 0, d, mlp);
            w.normal(b + "mlp.c_fc.bias", 0, mlp);
            w.normal(b + "mlp.c_proj.weight", 0, mlp, d);
            w.normal(b + "mlp.c_proj.bias", 0, d);
        }
        layerNorm(w, "transformer.ln_f", d);
        w.writer().write(dir.resolve("model.safetensors"));
        ModelShape.writeJson(dir.resolve("config.json"), config());
    }

    /** Parameters, embeddings and unembedding (tied) counted once. */
    long parameters() {
        long d = dModel;
        return (long) vocab * d + (long) ctx * d + layers * (12 * d * d + 13 * d) + 2 * d;
    }

    private ObjectNode config() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("model_type", "gpt2");
        c.put("n_layer", layers);
        c.put("n_embd", dModel);
        c.put("n_head", heads);
        c.putNull("n_inner");
        c.put("vocab_size", vocab);
        c.put("n_positions", ctx);
        c.put("n_ctx", ctx);
        c.put("activation_function", "gelu_new");
        c.put("layer_norm_epsilon", 1e-5);
        c.put("tie_word_embeddings", true);
        c.put("torch_dtype", dtype == DType.BF16 ? "bfloat16" : "float32");
        return c;
    }

    private static void layerNorm(RandomWeights w, String prefix, int d) {
        w.normal(prefix + ".weight", 1, d);
        w.normal(prefix + ".bias", 0, d);
    }
}
