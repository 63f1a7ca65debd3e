package dev.loupe.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.AtomicFile;
import dev.loupe.model.format.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A byte-level BPE vocabulary learned by {@link BpeTrainer}: tokens by id (256 bytes, one per merge,
 * then {@value BpeTrainer#END_OF_TEXT}) and the merges in rank order ({@code "left right"}).
 */
public record TrainedBpe(List<String> tokens, List<String> merges) {
    private static final ObjectMapper JSON = Json.MAPPER;

    /**
     * A byte-level BPE of exactly {@code vocabSize} tokens whose merges join existing tokens in a fixed order
     * (each byte token, then each merged token, with every byte): a working tokenizer with a real model's
     * vocabulary size, for random-weight benchmark models.
     */
    public static TrainedBpe synthetic(int vocabSize) {
        if (vocabSize < 257) throw new IllegalArgumentException("a byte-level BPE needs at least 257 tokens, not " + vocabSize);
        List<String> tokens = new java.util.ArrayList<>(vocabSize);
        List<String> merges = new java.util.ArrayList<>(vocabSize - 257);
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        var seen = new java.util.HashSet<>(tokens);
        for (int left = 0; tokens.size() < vocabSize - 1; left++) {
            for (int b = 0; b < 256 && tokens.size() < vocabSize - 1; b++) {
                String l = tokens.get(left), r = tokens.get(b);
                if (seen.add(l + r)) {
                    tokens.add(l + r);
                    merges.add(l + " " + r);
                }
            }
        }
        tokens.add(BpeTrainer.END_OF_TEXT);
        return new TrainedBpe(List.copyOf(tokens), List.copyOf(merges));
    }

    /** The id of {@value BpeTrainer#END_OF_TEXT}. */
    public int endOfTextId() {
        return tokens.size() - 1;
    }

    /** The Hugging Face {@code tokenizer.json} tree of a GPT-2-style byte-level BPE tokenizer. */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ObjectNode eot = root.putArray("added_tokens").addObject();
        eot.put("id", endOfTextId()).put("content", BpeTrainer.END_OF_TEXT).put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
                .put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        ArrayNode merges = model.putArray("merges");
        this.merges.forEach(merges::add);
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace).put("trim_offsets", trimOffsets).put("use_regex", true);
        return n;
    }

    /** Writes {@code tokenizer.json} atomically. */
    public void write(Path file) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson());
        AtomicFile.write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** This vocabulary as a Loupe tokenizer (the same pipeline a reader of {@link #toJson()} builds). */
    public HuggingFaceTokenizer tokenizer() {
        try {
            return HuggingFaceTokenizer.fromJson(new ByteArrayInputStream(JSON.writeValueAsBytes(toJson())), "trained BPE");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
