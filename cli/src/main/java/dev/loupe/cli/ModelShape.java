package dev.loupe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.Json;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.tokenizer.TrainedBpe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The published dimensions of models interpretability research runs on, for random-weight benchmark folders
 * ({@code loupe bench make-model --shape NAME}): config.json as the real checkpoint has it (vocabulary
 * included), model.safetensors with every tensor of the real one (N(0, 0.02) weights, norms near their
 * identity), and a byte-level BPE tokenizer.json of the same vocabulary size.
 */
enum ModelShape {
    GPT2_SMALL("gpt2-small", Family.GPT2, 12, 768, 12, 12, 64, 3072, 50257, true),
    LLAMA_3_2_1B("llama-3.2-1b", Family.LLAMA, 16, 2048, 32, 8, 64, 8192, 128256, true),
    QWEN3_0_6B("qwen3-0.6b", Family.QWEN3, 28, 1024, 16, 8, 128, 3072, 151936, true),
    GEMMA_2_2B("gemma-2-2b", Family.GEMMA2, 26, 2304, 8, 4, 256, 9216, 256000, true),
    LLAMA_3_1_8B("llama-3.1-8b", Family.LLAMA, 32, 4096, 32, 8, 128, 14336, 128256, false);

    enum Family { GPT2, LLAMA, QWEN3, GEMMA2 }

    private static final ObjectMapper JSON = Json.MAPPER;
    private static final float STD = 0.02f;
    final String id;
    final Family family;
    final int layers, dModel, heads, kvHeads, headDim, dMlp, vocab;
    final boolean tied;

    ModelShape(String id, Family family, int layers, int dModel, int heads, int kvHeads, int headDim, int dMlp, int vocab, boolean tied) {
        this.id = id;
        this.family = family;
        this.layers = layers;
        this.dModel = dModel;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.dMlp = dMlp;
        this.vocab = vocab;
        this.tied = tied;
    }

    static ModelShape byName(String name) {
        return Arrays.stream(values()).filter(s -> s.id.equals(name)).findFirst().orElseThrow(() -> new Args.UsageException(
                "bench make-model: unknown --shape '" + name + "' (shapes: " + names() + ")"));
    }

    static String names() {
        return Arrays.stream(values()).map(s -> s.id).collect(Collectors.joining(", "));
    }

    /** Parameters, a tied unembedding counted once. */
    long parameters() {
        long d = dModel, q = (long) heads * headDim, kv = (long) kvHeads * headDim;
        long block = family == Family.GPT2 ? 12 * d * d + 13 * d
                : d * (q + 2 * kv) + q * d + 3 * d * dMlp + (family == Family.GEMMA2 ? 4 : 2) * d + (family == Family.QWEN3 ? 2L * headDim : 0);
        return (long) vocab * d * (tied ? 1 : 2) + layers * block + (family == Family.GPT2 ? 1024 * d + 2 * d : d);
    }

    /** Writes config.json, model.safetensors and tokenizer.json into {@code dir}. */
    void write(Path dir, DType dtype, long seed) throws IOException {
        Files.createDirectories(dir);
        if (family == Family.GPT2) {
            new RandomGpt2(layers, dModel, heads, vocab, 1024, seed, dtype).write(dir);
        } else {
            RandomWeights w = new RandomWeights(new SafeTensorsWriter().metadata("format", "pt"), dtype, seed, STD);
            float normMean = family == Family.GEMMA2 ? 0 : 1; // Gemma's RMSNorm scales by (1 + w)
            int d = dModel;
            w.normal("model.embed_tokens.weight", 0, vocab, d);
            for (int l = 0; l < layers; l++) {
                String b = "model.layers." + l + ".";
                w.normal(b + "input_layernorm.weight", normMean, d);
                w.normal(b + "self_attn.q_proj.weight", 0, heads * headDim, d);
                w.normal(b + "self_attn.k_proj.weight", 0, kvHeads * headDim, d);
                w.normal(b + "self_attn.v_proj.weight", 0, kvHeads * headDim, d);
                w.normal(b + "self_attn.o_proj.weight", 0, d, heads * headDim);
                if (family == Family.QWEN3) {
                    w.normal(b + "self_attn.q_norm.weight", 1, headDim);
                    w.normal(b + "self_attn.k_norm.weight", 1, headDim);
                }
                w.normal(b + "post_attention_layernorm.weight", normMean, d);
                if (family == Family.GEMMA2) {
                    w.normal(b + "pre_feedforward_layernorm.weight", normMean, d);
                    w.normal(b + "post_feedforward_layernorm.weight", normMean, d);
                }
                w.normal(b + "mlp.gate_proj.weight", 0, dMlp, d);
                w.normal(b + "mlp.up_proj.weight", 0, dMlp, d);
                w.normal(b + "mlp.down_proj.weight", 0, d, dMlp);
            }
            w.normal("model.norm.weight", normMean, d);
            if (!tied) w.normal("lm_head.weight", 0, vocab, d);
            w.writer().write(dir.resolve("model.safetensors"));
            writeJson(dir.resolve("config.json"), config(dtype));
        }
        TrainedBpe.synthetic(vocab).write(dir.resolve("tokenizer.json"));
    }

    /** The published config.json of the real checkpoint (torch_dtype set to what was written). */
    ObjectNode config(DType dtype) {
        ObjectNode c = JSON.createObjectNode();
        c.put("hidden_size", dModel).put("num_hidden_layers", layers).put("num_attention_heads", heads)
                .put("num_key_value_heads", kvHeads).put("head_dim", headDim).put("intermediate_size", dMlp).put("vocab_size", vocab)
                .put("tie_word_embeddings", tied).put("attention_bias", false).put("attention_dropout", 0.0)
                .put("initializer_range", 0.02).put("torch_dtype", dtype == DType.BF16 ? "bfloat16" : "float32");
        switch (family) {
            case LLAMA -> {
                c.putArray("architectures").add("LlamaForCausalLM");
                c.put("model_type", "llama").put("hidden_act", "silu").put("max_position_embeddings", 131072)
                        .put("rms_norm_eps", 1e-5).put("rope_theta", 500000.0).put("mlp_bias", false).put("pretraining_tp", 1)
                        .put("bos_token_id", 128000).put("eos_token_id", 128001);
                c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", this == LLAMA_3_2_1B ? 32.0 : 8.0)
                        .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
            }
            case QWEN3 -> {
                c.putArray("architectures").add("Qwen3ForCausalLM");
                c.put("model_type", "qwen3").put("hidden_act", "silu").put("max_position_embeddings", 40960)
                        .put("max_window_layers", layers).put("rms_norm_eps", 1e-6).put("rope_theta", 1000000.0)
                        .put("use_sliding_window", false).put("bos_token_id", 151643).put("eos_token_id", 151645);
                c.putNull("rope_scaling");
                c.putNull("sliding_window");
            }
            case GEMMA2 -> {
                c.putArray("architectures").add("Gemma2ForCausalLM");
                c.put("model_type", "gemma2").put("hidden_act", "gelu_pytorch_tanh").put("hidden_activation", "gelu_pytorch_tanh")
                        .put("max_position_embeddings", 8192).put("rms_norm_eps", 1e-6).put("rope_theta", 10000.0)
                        .put("query_pre_attn_scalar", 256).put("sliding_window", 4096).put("attn_logit_softcapping", 50.0)
                        .put("final_logit_softcapping", 30.0).put("bos_token_id", 2).put("eos_token_id", 1).put("pad_token_id", 0);
            }
            case GPT2 -> throw new IllegalStateException("GPT-2 configs come from RandomGpt2");
        }
        return c;
    }

    static void writeJson(Path file, ObjectNode json) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
        AtomicFile.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }
}
