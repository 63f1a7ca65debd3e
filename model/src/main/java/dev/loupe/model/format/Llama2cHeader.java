package dev.loupe.model.format;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The hyperparameters in a llama2.c checkpoint header, already normalised: {@code vocabSize} is
 * positive and {@code sharedClassifier} says whether the output matrix is the embedding (v0
 * encodes that as the sign of the vocab size, v1 as a flag byte).
 */
record Llama2cHeader(int version, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int seqLen,
                     boolean sharedClassifier) {
    int headSize() {
        return dim / nHeads;
    }

    int kvDim() {
        return dim / nHeads * nKvHeads;
    }

    /** Checks the numbers can describe a model at all; {@code label} names the file in errors. */
    void validate(String label) throws FormatException {
        int[] values = {dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen};
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        for (int i = 0; i < values.length; i++) {
            if (values[i] <= 0) throw new FormatException(label + ": llama2.c header has " + names[i] + " = " + values[i] + "; not a llama2.c checkpoint?");
        }
        if (dim % nHeads != 0 || headSize() % 2 != 0) {
            throw new FormatException(label + ": llama2.c header has dim " + dim + " and n_heads " + nHeads + ", which give no even head size");
        }
        if (nHeads % nKvHeads != 0) {
            throw new FormatException(label + ": llama2.c header has n_heads " + nHeads + " not a multiple of n_kv_heads " + nKvHeads);
        }
    }

    /** The equivalent Hugging Face {@code LlamaForCausalLM} config, plus Loupe's rotary layout marker. */
    ObjectNode toHfJson() {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", dim);
        c.put("intermediate_size", hiddenDim);
        c.put("num_hidden_layers", nLayers);
        c.put("num_attention_heads", nHeads);
        c.put("num_key_value_heads", nKvHeads);
        c.put("vocab_size", vocabSize);
        c.put("max_position_embeddings", seqLen);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", sharedClassifier);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", "float32");
        c.put(Llama2cCheckpoint.ROPE_LAYOUT_KEY, Llama2cCheckpoint.ROPE_INTERLEAVED);
        return c;
    }
}
