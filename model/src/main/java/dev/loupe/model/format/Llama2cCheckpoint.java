package dev.loupe.model.format;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads Andrej Karpathy's llama2.c checkpoints ({@code .bin}) as a {@link Checkpoint} with a
 * Hugging Face {@code LlamaForCausalLM} config and tensor names, memory-mapped like safetensors.
 *
 * <p>Two layouts are understood, both float32 little-endian:
 * <ul>
 *   <li>legacy v0 ({@code run.c}): seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 *       vocab_size — negative when an unshared classifier follows — and seq_len), then the token
 *       embedding, the layer-stacked rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, the final norm,
 *       two unused freq_cis tables [seq_len, head_size/2], and the classifier if unshared;</li>
 *   <li>v1 (export.py {@code --version 1}): a 256-byte header (magic "ak42", version, the seven
 *       ints, a shared-classifier byte), then rms_att, rms_ffn, final norm, embedding, wq, wk, wv,
 *       wo, w1, w2, w3 and the classifier if unshared.</li>
 * </ul>
 * Quantised v2 files are refused.
 *
 * <p>llama2.c applies rotary embeddings to interleaved pairs (dims 2i, 2i+1), while Hugging Face
 * Llama pairs dim i with i + head_size/2 and permutes the q/k rows to match. The weights here are
 * left as llama2.c stored them, and the config says so with {@code "loupe_rope_layout": "interleaved"}.
 */
public final class Llama2cCheckpoint {
    /** Config key Loupe adds to say how rotary dimensions are paired. */
    public static final String ROPE_LAYOUT_KEY = "loupe_rope_layout";
    /** Value of {@link #ROPE_LAYOUT_KEY} for llama2.c's (GPT-J style) adjacent pairs. */
    public static final String ROPE_INTERLEAVED = "interleaved";
    /** First four bytes of a versioned header: "ak42" read as a little-endian uint32. */
    public static final int MAGIC = 0x616b3432;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int V1_HEADER_BYTES = 256;

    private Llama2cCheckpoint() {}

    public static Checkpoint load(Path file) throws IOException {
        String label = file.toString();
        MappedWeightStore.Mapping mapping = MappedWeightStore.map(file);
        try {
            MemorySegment seg = mapping.segment();
            Llama2cHeader h = header(label, seg);
            h.validate(label);
            // the size first, without a slot per layer, so a header claiming 10^8 layers costs nothing
            long expected = layout(h, false).offset;
            if (seg.byteSize() != expected) {
                throw new FormatException(label + ": file is " + seg.byteSize() + " bytes but its llama2.c v" + h.version()
                        + " header (dim " + h.dim() + ", hidden_dim " + h.hiddenDim() + ", " + h.nLayers() + " layers, vocab "
                        + h.vocabSize() + ", seq_len " + h.seqLen() + (h.sharedClassifier() ? ", shared" : ", unshared")
                        + " classifier) implies " + expected + (seg.byteSize() < expected ? " (truncated?)" : ""));
            }
            Map<String, String> metadata = Map.of("format", "llama2.c", "llama2c_version", Integer.toString(h.version()));
            WeightStore weights = mapping.toStore(label, layout(h, true).slots, metadata);
            return new Checkpoint(new HfConfig(h.toHfJson(), label + " (llama2.c header)"), weights, file);
        } catch (ArithmeticException e) {
            mapping.close();
            throw new FormatException(label + ": llama2.c header describes tensors too large to address; not a llama2.c checkpoint?", e);
        } catch (IOException | RuntimeException e) {
            mapping.close();
            throw e;
        }
    }

    private static Llama2cHeader header(String label, MemorySegment seg) throws FormatException {
        if (seg.byteSize() < 28) {
            throw new FormatException(label + ": file is " + seg.byteSize() + " bytes, too short for a llama2.c header (28 bytes)");
        }
        int first = seg.get(INT, 0);
        if (first != MAGIC) {
            int[] p = ints(seg, 0, 7);
            return new Llama2cHeader(0, p[0], p[1], p[2], p[3], p[4], Math.abs(p[5]), p[6], p[5] > 0);
        }
        if (seg.byteSize() < V1_HEADER_BYTES) throw new FormatException(label + ": file is too short for a llama2.c v1 header (256 bytes)");
        int version = seg.get(INT, 4);
        if (version != 1) {
            throw new FormatException(label + ": llama2.c checkpoint version " + version + " not supported; export with legacy v0 (or v1, float32)");
        }
        int[] p = ints(seg, 8, 7);
        return new Llama2cHeader(1, p[0], p[1], p[2], p[3], p[4], p[5], p[6], seg.get(ValueLayout.JAVA_BYTE, 36) != 0);
    }

    private static int[] ints(MemorySegment seg, long offset, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = seg.get(INT, offset + 4L * i);
        return out;
    }

    /** The tensors' offsets; with {@code slots} false only the total size is computed. */
    private static Layout layout(Llama2cHeader h, boolean slots) {
        return h.version() == 0 ? layoutV0(new Layout(h, 28, slots)) : layoutV1(new Layout(h, V1_HEADER_BYTES, slots));
    }

    private static Layout layoutV0(Layout l) {
        Llama2cHeader h = l.h;
        l.single("model.embed_tokens.weight", h.vocabSize(), h.dim());
        l.perLayer("input_layernorm.weight", h.dim());
        l.attention();
        l.perLayer("post_attention_layernorm.weight", h.dim());
        l.mlp();
        l.single("model.norm.weight", h.dim());
        l.skip(2L * h.seqLen() * (h.headSize() / 2)); // freq_cis_real, freq_cis_imag: run.c ignores them
        if (!h.sharedClassifier()) l.single("lm_head.weight", h.vocabSize(), h.dim());
        return l;
    }

    private static Layout layoutV1(Layout l) {
        Llama2cHeader h = l.h;
        l.perLayer("input_layernorm.weight", h.dim());
        l.perLayer("post_attention_layernorm.weight", h.dim());
        l.single("model.norm.weight", h.dim());
        l.single("model.embed_tokens.weight", h.vocabSize(), h.dim());
        l.attention();
        l.mlp();
        if (!h.sharedClassifier()) l.single("lm_head.weight", h.vocabSize(), h.dim());
        return l;
    }

    /** Assigns consecutive float32 tensors their offsets; "stacked" llama2.c arrays become one tensor per layer. */
    private static final class Layout {
        final Map<String, MappedWeightStore.Slot> slots = new LinkedHashMap<>();
        final Llama2cHeader h;
        final boolean record;
        long offset;

        Layout(Llama2cHeader h, long start, boolean record) {
            this.h = h;
            this.offset = start;
            this.record = record;
        }

        void single(String name, int... shape) {
            TensorInfo info = new TensorInfo(name, DType.F32, shape);
            if (record) slots.put(name, new MappedWeightStore.Slot(info, offset));
            offset = Math.addExact(offset, info.nbytes());
        }

        void perLayer(String suffix, int... shape) {
            if (!record) {
                offset = Math.addExact(offset, Math.multiplyExact(h.nLayers(), new TensorInfo(suffix, DType.F32, shape).nbytes()));
                return;
            }
            for (int layer = 0; layer < h.nLayers(); layer++) single("model.layers." + layer + "." + suffix, shape);
        }

        void attention() {
            perLayer("self_attn.q_proj.weight", h.dim(), h.dim());
            perLayer("self_attn.k_proj.weight", h.kvDim(), h.dim());
            perLayer("self_attn.v_proj.weight", h.kvDim(), h.dim());
            perLayer("self_attn.o_proj.weight", h.dim(), h.dim());
        }

        void mlp() {
            perLayer("mlp.gate_proj.weight", h.hiddenDim(), h.dim()); // w1
            perLayer("mlp.down_proj.weight", h.dim(), h.hiddenDim()); // w2
            perLayer("mlp.up_proj.weight", h.hiddenDim(), h.dim()); // w3
        }

        void skip(long floats) {
            offset = Math.addExact(offset, Math.multiplyExact(4, floats));
        }
    }
}
