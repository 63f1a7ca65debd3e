package dev.loupe.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a {@link HuggingFaceTokenizer} from the JSON tree of a {@code tokenizer.json}, one
 * method per pipeline stage. Every error names the file and the offending field.
 */
final class HfJsonReader {
    private final JsonNode root;
    private final String where;

    HfJsonReader(JsonNode root, String source) {
        this.root = root;
        this.where = "tokenizer.json " + source;
    }

    /** The model vocabulary: token → id, and id → token. */
    record Vocab(Map<String, Integer> ids, String[] tokens) {}

    private TokenizerFormatException error(String field, String problem) {
        return new TokenizerFormatException(where + ": " + field + " " + problem);
    }

    HuggingFaceTokenizer read() throws TokenizerFormatException {
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(where + ": expected a JSON object at the top level");
        }
        JsonNode modelNode = root.get("model");
        if (modelNode == null || !modelNode.isObject()) {
            throw error("model", "is missing; expected an object with type BPE or WordPiece");
        }
        String type = modelNode.path("type").asText("");
        if (type.isEmpty()) {
            type = modelNode.has("merges") ? "BPE" : modelNode.has("max_input_chars_per_word") ? "WordPiece" : "";
        }
        if (!type.equals("BPE") && !type.equals("WordPiece")) {
            throw error("model.type", "'" + type + "' is not supported (supported: BPE, WordPiece)");
        }
        JsonNode vocabNode = modelNode.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw error("model.vocab", "is missing; expected an object of token -> id");
        }
        Vocab vocab = vocab(vocabNode, where + " model.vocab");
        List<AddedToken> added = addedTokens();
        String[] tokens = allTokens(vocab, added);

        WordModel model = type.equals("BPE") ? bpe(modelNode, vocab.ids()) : wordPiece(modelNode, vocab.ids());
        Normalizer normalizer = normalizer(root.get("normalizer"), "normalizer");
        PreTokenizer preTokenizer = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        Decoder decoder = decoder(root.get("decoder"), "decoder");
        Template template = postProcessor(root.get("post_processor"), "post_processor", vocab.ids(), added);
        for (int[] ids : new int[][] {template.prefix(), template.suffix()}) {
            for (int id : ids) {
                if (id < 0 || id >= tokens.length) throw error("post_processor", "adds token id " + id + ", outside the " + tokens.length + " ids defined");
            }
        }

        OptionalInt bos = template.prefix().length > 0 ? OptionalInt.of(template.prefix()[0])
                : find(vocab.ids(), added, "<|begin_of_text|>", "<s>", "<|startoftext|>", "[CLS]", "<|endoftext|>");
        OptionalInt eos = find(vocab.ids(), added, "<|end_of_text|>", "</s>", "<|endoftext|>", "[SEP]");
        return new HuggingFaceTokenizer(tokens, added, normalizer, preTokenizer, model, decoder, template, bos, eos);
    }

    static Vocab vocab(JsonNode node, String what) throws TokenizerFormatException {
        Map<String, Integer> ids = new HashMap<>(node.size() * 2);
        int max = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw new TokenizerFormatException(what + ": token '" + e.getKey() + "' has id "
                        + e.getValue() + ", expected a non-negative integer");
            }
            int id = e.getValue().asInt();
            ids.put(e.getKey(), id);
            max = Math.max(max, id);
        }
        checkIdBound(max, node.size(), what);
        String[] tokens = new String[max + 1];
        ids.forEach((t, id) -> tokens[id] = t);
        return new Vocab(ids, tokens);
    }

    /**
     * The id table is as long as the largest id, so an id far past the number of tokens the file defines (10^9 in a
     * vocabulary of ten) would allocate gigabytes for nothing: ids must stay below twice the count plus some slack.
     */
    static void checkIdBound(long maxId, int defined, String what) throws TokenizerFormatException {
        long bound = 2L * defined + ID_SLACK;
        if (maxId >= bound) {
            throw new TokenizerFormatException(what + ": id " + maxId + " is far past the " + defined
                    + " tokens defined (ids must be below " + bound + ")");
        }
    }

    private static final int ID_SLACK = 1024;

    private List<AddedToken> addedTokens() throws TokenizerFormatException {
        List<AddedToken> out = new ArrayList<>();
        JsonNode list = root.get("added_tokens");
        if (list == null || list.isNull()) {
            return out;
        }
        int i = 0;
        for (JsonNode t : list) {
            if (!t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
                throw error("added_tokens[" + i + "]", "needs an integer id and a string content");
            }
            if (t.get("id").asInt() < 0) throw error("added_tokens[" + i + "].id", "is " + t.get("id") + ", expected a non-negative integer");
            out.add(new AddedToken(t.get("id").asInt(), t.get("content").asText(), t.path("special").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false)));
            i++;
        }
        return out;
    }

    private String[] allTokens(Vocab vocab, List<AddedToken> added) throws TokenizerFormatException {
        long size = vocab.tokens().length;
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1L);
        }
        checkIdBound(size - 1, vocab.ids().size() + added.size(), where + " added_tokens");
        String[] tokens = java.util.Arrays.copyOf(vocab.tokens(), (int) size);
        for (AddedToken t : added) {
            tokens[t.id()] = t.content();
        }
        return tokens;
    }

    private static OptionalInt find(Map<String, Integer> vocab, List<AddedToken> added, String... names) {
        for (String name : names) {
            for (AddedToken t : added) {
                if (t.content().equals(name)) {
                    return OptionalInt.of(t.id());
                }
            }
            Integer id = vocab.get(name);
            if (id != null) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }

    private WordModel bpe(JsonNode m, Map<String, Integer> vocab) throws TokenizerFormatException {
        JsonNode mergesNode = m.get("merges");
        if (mergesNode == null || !mergesNode.isArray()) {
            throw error("model.merges", "is missing; expected an array of merges");
        }
        List<String[]> merges = new ArrayList<>(mergesNode.size());
        int i = 0;
        for (JsonNode merge : mergesNode) {
            String[] pair;
            if (merge.isTextual()) {
                pair = merge.asText().split(" ", -1);
            } else if (merge.isArray() && merge.size() == 2) {
                pair = new String[] {merge.get(0).asText(), merge.get(1).asText()};
            } else {
                pair = new String[0];
            }
            if (pair.length != 2) {
                throw error("model.merges[" + i + "]", "is " + merge + "; expected \"a b\" or [\"a\", \"b\"]");
            }
            merges.add(pair);
            i++;
        }
        String prefix = textOrNull(m, "continuing_subword_prefix");
        String suffix = textOrNull(m, "end_of_word_suffix");
        MergeRules rules = mergeTable(vocab, merges, prefix == null ? "" : prefix, where + " model.merges");
        String unk = textOrNull(m, "unk_token");
        int unkId = unk == null ? -1 : vocab.getOrDefault(unk, -1);
        return new BpeModel(vocab, rules, unkId, m.path("fuse_unk").asBoolean(false),
                m.path("byte_fallback").asBoolean(false), m.path("ignore_merges").asBoolean(false), prefix, suffix);
    }

    /** Merge list → rank table; merge {@code (a, b)} produces {@code a + b} without b's prefix. */
    static MergeRules mergeTable(Map<String, Integer> vocab, List<String[]> merges, String prefix, String what)
            throws TokenizerFormatException {
        PairRankTable table = new PairRankTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String a = merges.get(rank)[0];
            String b = merges.get(rank)[1];
            String merged = a + (b.startsWith(prefix) ? b.substring(prefix.length()) : b);
            Integer left = vocab.get(a);
            Integer right = vocab.get(b);
            Integer id = vocab.get(merged);
            if (left == null || right == null || id == null) {
                String missing = left == null ? a : right == null ? b : merged;
                throw new TokenizerFormatException(what + ": merge " + rank + " ('" + a + "' '" + b
                        + "') uses token '" + missing + "', which is not in the vocabulary");
            }
            table.putIfAbsent(left, right, rank, id);
        }
        return table;
    }

    private WordModel wordPiece(JsonNode m, Map<String, Integer> vocab) throws TokenizerFormatException {
        String unk = m.path("unk_token").asText("[UNK]");
        Integer unkId = vocab.get(unk);
        if (unkId == null) {
            throw error("model.unk_token", "'" + unk + "' is not in model.vocab");
        }
        return new WordPieceModel(vocab, unkId, m.path("continuing_subword_prefix").asText("##"),
                m.path("max_input_chars_per_word").asInt(100));
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private String type(JsonNode node, String field) throws TokenizerFormatException {
        String type = node.path("type").asText("");
        if (type.isEmpty()) {
            throw error(field + ".type", "is missing");
        }
        return type;
    }

    /** A {@code {"String": s}} or {@code {"Regex": r}} pattern as a Java regex. */
    private Pattern pattern(JsonNode node, String field) throws TokenizerFormatException {
        JsonNode p = node.get("pattern");
        if (p != null && p.has("String")) {
            return Pattern.compile(Pattern.quote(p.get("String").asText()));
        }
        if (p != null && p.has("Regex")) {
            try {
                return SplitPreTokenizer.compile(p.get("Regex").asText());
            } catch (java.util.regex.PatternSyntaxException e) {
                throw error(field + ".pattern.Regex", "does not compile as a Java regex: " + e.getMessage());
            }
        }
        throw error(field + ".pattern", "must be {\"String\": ...} or {\"Regex\": ...}");
    }

    Normalizer normalizer(JsonNode n, String field) throws TokenizerFormatException {
        if (n == null || n.isNull()) {
            return Normalizer.IDENTITY;
        }
        return switch (type(n, field)) {
            case "Sequence" -> {
                List<Normalizer> parts = new ArrayList<>();
                int i = 0;
                for (JsonNode child : n.path("normalizers")) {
                    parts.add(normalizer(child, field + ".normalizers[" + i++ + "]"));
                }
                yield s -> {
                    for (Normalizer p : parts) {
                        s = p.normalize(s);
                    }
                    return s;
                };
            }
            case "BertNormalizer" -> {
                boolean lowercase = n.path("lowercase").asBoolean(true);
                JsonNode strip = n.get("strip_accents");
                yield new BertNormalizer(n.path("clean_text").asBoolean(true),
                        n.path("handle_chinese_chars").asBoolean(true),
                        strip == null || strip.isNull() ? lowercase : strip.asBoolean(), lowercase);
            }
            case "Lowercase" -> s -> s.toLowerCase(java.util.Locale.ROOT);
            case "NFC" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
            case "NFD" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
            case "NFKC" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC);
            case "NFKD" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKD);
            case "StripAccents" -> Normalizer::stripAccents;
            case "Strip" -> {
                boolean left = n.path("strip_left").asBoolean(true);
                boolean right = n.path("strip_right").asBoolean(true);
                yield s -> left && right ? s.strip() : left ? s.stripLeading() : right ? s.stripTrailing() : s;
            }
            case "Prepend" -> {
                String prefix = n.path("prepend").asText();
                yield s -> s.isEmpty() ? s : prefix + s;
            }
            case "Replace" -> {
                Pattern p = pattern(n, field);
                String content = Matcher.quoteReplacement(n.path("content").asText());
                yield s -> p.matcher(s).replaceAll(content);
            }
            default -> throw error(field + ".type", "'" + n.path("type").asText() + "' is not supported (supported: "
                    + "Sequence, BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, Prepend, Replace)");
        };
    }

    private SplitPreTokenizer.Behavior behavior(JsonNode n, String field, String fallback) throws TokenizerFormatException {
        String b = n.path("behavior").asText(fallback);
        return switch (b) {
            case "Removed" -> SplitPreTokenizer.Behavior.REMOVED;
            case "Isolated" -> SplitPreTokenizer.Behavior.ISOLATED;
            case "MergedWithPrevious" -> SplitPreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> SplitPreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> SplitPreTokenizer.Behavior.CONTIGUOUS;
            default -> throw error(field + ".behavior", "'" + b + "' is not a known split behavior");
        };
    }

    PreTokenizer preTokenizer(JsonNode n, String field) throws TokenizerFormatException {
        if (n == null || n.isNull()) {
            return PreTokenizer.NONE;
        }
        return switch (type(n, field)) {
            case "Sequence" -> {
                List<PreTokenizer> parts = new ArrayList<>();
                int i = 0;
                for (JsonNode child : n.path("pretokenizers")) {
                    parts.add(preTokenizer(child, field + ".pretokenizers[" + i++ + "]"));
                }
                yield (pieces, atStart) -> {
                    for (PreTokenizer p : parts) {
                        pieces = p.split(pieces, atStart);
                    }
                    return pieces;
                };
            }
            case "ByteLevel" -> new ByteLevelPreTokenizer(n.path("add_prefix_space").asBoolean(true),
                    n.path("use_regex").asBoolean(true));
            case "Split" -> new SplitPreTokenizer(pattern(n, field), behavior(n, field, "Isolated"),
                    n.path("invert").asBoolean(false));
            case "Metaspace" -> new MetaspacePreTokenizer(n.path("replacement").asText("\u2581").charAt(0),
                    prependScheme(n), n.path("split").asBoolean(true));
            case "BertPreTokenizer" -> {
                PreTokenizer ws = new SplitPreTokenizer(SplitPreTokenizer.compile("\\s+"),
                        SplitPreTokenizer.Behavior.REMOVED, false);
                PreTokenizer punct = new SplitPreTokenizer(SplitPreTokenizer.compile(PUNCTUATION),
                        SplitPreTokenizer.Behavior.ISOLATED, false);
                yield (pieces, atStart) -> punct.split(ws.split(pieces, atStart), atStart);
            }
            case "Whitespace" -> new SplitPreTokenizer(SplitPreTokenizer.compile("\\w+|[^\\w\\s]+"),
                    SplitPreTokenizer.Behavior.REMOVED, true);
            case "WhitespaceSplit" -> new SplitPreTokenizer(SplitPreTokenizer.compile("\\s+"),
                    SplitPreTokenizer.Behavior.REMOVED, false);
            case "Digits" -> new SplitPreTokenizer(SplitPreTokenizer.compile("\\p{N}"),
                    n.path("individual_digits").asBoolean(false) ? SplitPreTokenizer.Behavior.ISOLATED
                            : SplitPreTokenizer.Behavior.CONTIGUOUS, false);
            case "Punctuation" -> new SplitPreTokenizer(SplitPreTokenizer.compile(PUNCTUATION),
                    behavior(n, field, "Isolated"), false);
            default -> throw error(field + ".type", "'" + n.path("type").asText() + "' is not supported (supported: "
                    + "Sequence, ByteLevel, Split, Metaspace, BertPreTokenizer, Whitespace, WhitespaceSplit, Digits, Punctuation)");
        };
    }

    /** One punctuation character: ASCII punctuation or Unicode category P, as HF's is_punc. */
    private static final String PUNCTUATION = "[!-/:-@\\[-`{-~\\p{P}]";

    private static String prependScheme(JsonNode n) {
        if (n.has("prepend_scheme")) {
            return n.get("prepend_scheme").asText();
        }
        return n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
    }

    Decoder decoder(JsonNode n, String field) throws TokenizerFormatException {
        if (n == null || n.isNull()) {
            return Decoder.JOIN_WITH_SPACES;
        }
        return switch (type(n, field)) {
            case "Sequence" -> {
                List<Decoder> parts = new ArrayList<>();
                int i = 0;
                for (JsonNode child : n.path("decoders")) {
                    parts.add(decoder(child, field + ".decoders[" + i++ + "]"));
                }
                yield Decoder.sequence(parts);
            }
            case "ByteLevel" -> Decoder.byteLevel();
            case "ByteFallback" -> Decoder.byteFallback();
            case "Fuse" -> Decoder.fuse();
            case "Metaspace" -> Decoder.metaspace(n.path("replacement").asText("\u2581"),
                    !prependScheme(n).equals("never"));
            case "WordPiece" -> Decoder.wordPiece(n.path("prefix").asText("##"), n.path("cleanup").asBoolean(true));
            case "Strip" -> Decoder.strip(n.path("content").asText(" "), n.path("start").asInt(0), n.path("stop").asInt(0));
            case "Replace" -> {
                JsonNode p = n.get("pattern");
                if (p == null || !p.has("String")) {
                    throw error(field + ".pattern", "must be {\"String\": ...} (regex replacement in decoders is not supported)");
                }
                yield Decoder.replace(p.get("String").asText(), n.path("content").asText());
            }
            default -> throw error(field + ".type", "'" + n.path("type").asText() + "' is not supported (supported: "
                    + "Sequence, ByteLevel, ByteFallback, Fuse, Metaspace, WordPiece, Strip, Replace)");
        };
    }

    Template postProcessor(JsonNode n, String field, Map<String, Integer> vocab, List<AddedToken> added)
            throws TokenizerFormatException {
        if (n == null || n.isNull()) {
            return Template.NONE;
        }
        return switch (type(n, field)) {
            case "ByteLevel" -> Template.NONE;
            case "Sequence" -> {
                Template result = Template.NONE;
                int i = 0;
                for (JsonNode child : n.path("processors")) {
                    Template t = postProcessor(child, field + ".processors[" + i++ + "]", vocab, added);
                    if (!t.isEmpty()) {
                        result = t;
                    }
                }
                yield result;
            }
            case "BertProcessing", "RobertaProcessing" -> new Template(
                    new int[] {idOfPair(n, "cls", field)}, new int[] {idOfPair(n, "sep", field)});
            case "TemplateProcessing" -> {
                IntList prefix = new IntList(2);
                IntList suffix = new IntList(2);
                boolean seenSequence = false;
                int i = 0;
                for (JsonNode item : n.path("single")) {
                    String itemField = field + ".single[" + i++ + "]";
                    if (item.has("Sequence")) {
                        seenSequence = true;
                    } else if (item.has("SpecialToken")) {
                        String name = item.get("SpecialToken").path("id").asText();
                        JsonNode ids = n.path("special_tokens").path(name).path("ids");
                        if (!ids.isArray() || ids.isEmpty()) {
                            throw error(itemField, "names special token '" + name
                                    + "', which has no ids in " + field + ".special_tokens");
                        }
                        for (JsonNode id : ids) {
                            (seenSequence ? suffix : prefix).add(id.asInt());
                        }
                    } else {
                        throw error(itemField, "is " + item + "; expected Sequence or SpecialToken");
                    }
                }
                yield new Template(prefix.toArray(), suffix.toArray());
            }
            default -> throw error(field + ".type", "'" + n.path("type").asText() + "' is not supported (supported: "
                    + "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)");
        };
    }

    private int idOfPair(JsonNode n, String key, String field) throws TokenizerFormatException {
        JsonNode pair = n.get(key);
        if (pair == null || !pair.isArray() || pair.size() != 2) {
            throw error(field + "." + key, "must be [token, id]");
        }
        return pair.get(1).asInt();
    }
}
