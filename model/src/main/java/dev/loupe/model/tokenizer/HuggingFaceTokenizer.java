package dev.loupe.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face style pipeline: added tokens are split out of the input first, then each
 * remaining stretch goes through normalizer, pre-tokenizer and model (BPE or WordPiece);
 * decoding runs the decoder chain. Loaded from a {@code tokenizer.json} ({@link #load(Path)},
 * {@link #fromJson}) or from GPT-2's {@code vocab.json + merges.txt} ({@link #loadGpt2}), which
 * becomes the equivalent byte-level BPE pipeline.
 *
 * <p>Not supported (rejected with an error naming the field): Unigram/WordLevel models,
 * Precompiled normalizers, truncation and padding (ignored). Added tokens are matched on the raw
 * text even when marked {@code normalized}; {@code single_word} is ignored.
 */
public final class HuggingFaceTokenizer implements Tokenizer {
    private final String[] idToToken;
    private final boolean[] special;
    private final Map<Character, List<AddedToken>> addedByFirstChar;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final WordModel model;
    private final Decoder decoder;
    private final Template template;
    private final OptionalInt bos;
    private final OptionalInt eos;

    HuggingFaceTokenizer(String[] idToToken, List<AddedToken> added, Normalizer normalizer,
                         PreTokenizer preTokenizer, WordModel model, Decoder decoder, Template template,
                         OptionalInt bos, OptionalInt eos) {
        this.idToToken = idToToken;
        this.special = new boolean[idToToken.length];
        this.addedByFirstChar = new HashMap<>();
        for (AddedToken t : added) {
            special[t.id()] |= t.special();
            if (!t.content().isEmpty()) {
                addedByFirstChar.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
            }
        }
        addedByFirstChar.values().forEach(l -> l.sort(Comparator.comparingInt((AddedToken t) -> -t.content().length())));
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.decoder = decoder;
        this.template = template;
        this.bos = bos;
        this.eos = eos;
    }

    /** Loads a Hugging Face {@code tokenizer.json}. */
    public static HuggingFaceTokenizer load(Path tokenizerJson) throws IOException {
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return fromJson(in, tokenizerJson.toString());
        }
    }

    /**
     * Reads a {@code tokenizer.json} from a stream (e.g. a classpath resource); {@code source}
     * names it in error messages.
     */
    public static HuggingFaceTokenizer fromJson(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new TokenizerFormatException("tokenizer.json " + source + ": not valid JSON: " + e.getMessage(), e);
        }
        return new HfJsonReader(root, source).read();
    }

    /**
     * Loads GPT-2's {@code vocab.json} (token → id) and {@code merges.txt} (one merge a line,
     * optional {@code #version} header) as a byte-level BPE tokenizer. These files define no
     * special tokens, so {@code <|endoftext|>} in the input is plain text (as GPT-2's original
     * encoder does); it is still BOS/EOS and skipped when decoding.
     */
    public static HuggingFaceTokenizer loadGpt2(Path vocabJson, Path mergesTxt) throws IOException {
        JsonNode vocabNode;
        try {
            vocabNode = Json.MAPPER.readTree(vocabJson.toFile());
        } catch (IOException e) {
            throw new TokenizerFormatException("GPT-2 vocab " + vocabJson + ": not valid JSON: " + e.getMessage(), e);
        }
        if (vocabNode == null || !vocabNode.isObject()) {
            throw new TokenizerFormatException("GPT-2 vocab " + vocabJson + ": expected a JSON object of token -> id");
        }
        List<String[]> merges = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(mergesTxt, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version"))) {
                continue;
            }
            String[] parts = line.split(" ");
            if (parts.length != 2) {
                throw new TokenizerFormatException("GPT-2 merges " + mergesTxt + ": line " + lineNo
                        + " is '" + line + "', expected two tokens separated by one space");
            }
            merges.add(parts);
        }
        HfJsonReader.Vocab vocab = HfJsonReader.vocab(vocabNode, "GPT-2 vocab " + vocabJson);
        MergeRules rules = HfJsonReader.mergeTable(vocab.ids(), merges, "", "GPT-2 merges " + mergesTxt);
        WordModel model = new BpeModel(vocab.ids(), rules, -1, false, false, false, null, null);
        Integer eot = vocab.ids().get("<|endoftext|>");
        OptionalInt marker = eot == null ? OptionalInt.empty() : OptionalInt.of(eot);
        List<AddedToken> specials = eot == null ? List.of()
                : List.of(new AddedToken(eot, "<|endoftext|>", true, false, false));
        return new HuggingFaceTokenizer(vocab.tokens(), List.of(), Normalizer.IDENTITY,
                new ByteLevelPreTokenizer(false, true), model, Decoder.byteLevel(), Template.NONE,
                marker, marker).markSpecial(specials);
    }

    /** Marks tokens as special for decoding without making them matchable in the input. */
    private HuggingFaceTokenizer markSpecial(List<AddedToken> tokens) {
        tokens.forEach(t -> special[t.id()] = true);
        return this;
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addedByFirstChar.isEmpty()) {
            encodeSegment(text, true, out);
            return out.toArray();
        }
        int segmentStart = 0;
        int i = 0;
        boolean atTextStart = true;
        while (i < text.length()) {
            AddedToken match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            int segmentEnd = i;
            if (match.lstrip()) {
                while (segmentEnd > segmentStart && Character.isWhitespace(text.charAt(segmentEnd - 1))) {
                    segmentEnd--;
                }
            }
            encodeSegment(text.substring(segmentStart, segmentEnd), atTextStart, out);
            out.add(match.id());
            atTextStart = false;
            i += match.content().length();
            if (match.rstrip()) {
                while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
            }
            segmentStart = i;
        }
        encodeSegment(text.substring(segmentStart), atTextStart, out);
        return out.toArray();
    }

    private AddedToken matchAt(String text, int i) {
        List<AddedToken> candidates = addedByFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (AddedToken t : candidates) {
                if (text.startsWith(t.content(), i)) {
                    return t;
                }
            }
        }
        return null;
    }

    private void encodeSegment(String segment, boolean atTextStart, IntList out) {
        if (segment.isEmpty()) {
            return;
        }
        String normalized = normalizer.normalize(segment);
        if (normalized.isEmpty()) {
            return;
        }
        for (String word : preTokenizer.split(List.of(normalized), atTextStart)) {
            model.encodeWord(word, out);
        }
    }

    @Override
    public String decode(int[] ids) {
        List<String> pieces = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < special.length && special[id]) {
                continue;
            }
            pieces.add(Decoder.bytes(tokenString(id)));
        }
        if (pieces.isEmpty()) {
            return "";
        }
        return Decoder.text(String.join("", decoder.decode(pieces)));
    }

    @Override
    public int[] encodeWithBos(String text) {
        return template.isEmpty() ? encode(text) : template.apply(encode(text));
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public OptionalInt bosId() {
        return bos;
    }

    @Override
    public OptionalInt eosId() {
        return eos;
    }

    /** The word model (for tests of its cache). */
    WordModel wordModel() {
        return model;
    }

    @Override
    public String tokenString(int id) {
        String t = idToToken[id];
        if (t == null) {
            throw new IndexOutOfBoundsException("id " + id + " has no token in this vocabulary");
        }
        return t;
    }

    /** True when the post-processing template starts with a special token (BOS, [CLS]). */
    @Override
    public boolean addsBos() {
        return template.prefix().length > 0;
    }

    @Override
    public String toString() {
        return "HuggingFaceTokenizer[vocab=" + idToToken.length + ", template=" + Arrays.toString(template.prefix())
                + "..." + Arrays.toString(template.suffix()) + "]";
    }
}
