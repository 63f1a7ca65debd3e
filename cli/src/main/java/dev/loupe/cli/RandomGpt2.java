package dev.loupe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A GPT-2 ({@code GPT2LMHeadModel}) Hugging Face folder with random weights, for benchmarks: weights and
 * biases drawn from N(0, 0.02), LayerNorm gains 1 + N(0, 0.02). Each tensor has its own seeded stream,
 * so a seed always gives the same file, and tensors are generated one at a time while writing.
 */
record RandomGpt2(int layers, int dModel, int heads, int vocab, int ctx, long seed) {
    private static final float STD = 0.02f;

    RandomGpt2 {
        if (layers <= 0 || dModel <= 0 || heads <= 0 || vocab <= 0 || ctx <= 0) {
            throw new IllegalArgumentException("layers, d-model, heads, vocab and ctx must be positive");
        }
        if (dModel % heads != 0) throw new IllegalArgumentException("d-model " + dModel + " is not divisible by heads " + heads);
    }

    /** Writes {@code config.json} and {@code model.safetensors} into {@code dir}, each atomically. */
    void write(Path dir) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        int d = dModel, mlp = 4 * dModel;
        normal(w, "transformer.wte.weight", 0, vocab, d);
        normal(w, "transformer.wpe.weight", 0, ctx, d);
        for (int l = 0; l < layers; l++) {
            String b = "transformer.h." + l + ".";
            layerNorm(w, b + "ln_1", d);
            normal(w, b + "attn.c_attn.weight", 0, d, 3 * d);
            normal(w, b + "attn.c_attn.bias", 0, 3 * d);
            normal(w, b + "attn.c_proj.weight", 0, d, d);
            normal(w, b + "attn.c_proj.bias", 0, d);
            layerNorm(w, b + "ln_2", d);
            normal(w, b + "mlp.c_fc.weight", 0, d, mlp);
            normal(w, b + "mlp.c_fc.bias", 0, mlp);
            normal(w, b + "mlp.c_proj.weight", 0, mlp, d);
            normal(w, b + "mlp.c_proj.bias", 0, d);
        }
        layerNorm(w, "transformer.ln_f", d);
        w.write(dir.resolve("model.safetensors"));
        byte[] config = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(config());
        AtomicFile.write(dir.resolve("config.json"), ch -> {
            ByteBuffer buf = ByteBuffer.wrap(config);
            while (buf.hasRemaining()) ch.write(buf);
        });
    }

    /** Parameters, embeddings and unembedding (tied) counted once. */
    long parameters() {
        long d = dModel;
        return (long) vocab * d + (long) ctx * d + layers * (12 * d * d + 13 * d) + 2 * d;
    }

    private ObjectNode config() {
        ObjectNode c = new ObjectMapper().createObjectNode();
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
        c.put("torch_dtype", "float32");
        return c;
    }

    private void layerNorm(SafeTensorsWriter w, String prefix, int d) {
        normal(w, prefix + ".weight", 1, d);
        normal(w, prefix + ".bias", 0, d);
    }

    private void normal(SafeTensorsWriter w, String name, float mean, int... shape) {
        long stream = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        w.add(name, DType.F32, shape, () -> {
            SplittableRandom rng = new SplittableRandom(stream);
            Tensor t = Tensor.zeros(shape);
            float[] v = t.data();
            for (int i = 0; i < v.length; i++) v[i] = mean + STD * (float) rng.nextGaussian();
            return t;
        });
    }
}
