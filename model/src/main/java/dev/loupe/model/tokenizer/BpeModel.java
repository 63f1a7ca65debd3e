package dev.loupe.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hugging Face's {@code BPE} model: one initial symbol per character (looked up in the
 * vocabulary, with {@code continuing_subword_prefix} on non-initial characters and
 * {@code end_of_word_suffix} on the last), falling back to {@code <0xXX>} byte tokens
 * ({@code byte_fallback}) or the unknown token (fused when {@code fuse_unk}), then the merge list
 * applied by {@link BpeMerger}. With {@code ignore_merges} a word found whole in the vocabulary
 * is emitted directly. Results are cached per word, since natural text repeats words heavily.
 */
final class BpeModel implements WordModel {
    /** The word cache holds words up to this many chars, and about this many bytes in all (then it starts afresh). */
    private static final int CACHE_WORD_CHARS = 64;
    private static final long CACHE_BYTES = 16L << 20;

    private final Map<String, Integer> vocab;
    private final MergeRules merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String prefix;
    private final String suffix;
    private final int[] byteIds;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final AtomicLong cacheBytes = new AtomicLong();

    BpeModel(Map<String, Integer> vocab, MergeRules merges, int unkId, boolean fuseUnk,
             boolean byteFallback, boolean ignoreMerges, String prefix, String suffix) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.prefix = prefix == null ? "" : prefix;
        this.suffix = suffix == null ? "" : suffix;
        this.byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
    }

    @Override
    public void encodeWord(String word, IntList out) {
        if (word.length() > CACHE_WORD_CHARS) {
            out.addAll(encodeUncached(word)); // long words are rare in text and would pin the most memory
            return;
        }
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = encodeUncached(word);
            long bytes = 2L * word.length() + 4L * cached.length + 96; // chars, ids, entry and object headers
            if (cacheBytes.addAndGet(bytes) > CACHE_BYTES) {
                cache.clear();
                cacheBytes.set(bytes);
            }
            cache.put(word, cached);
        }
        out.addAll(cached);
    }

    /** Bytes the word cache holds now (as estimated against its bound). */
    long cachedBytes() {
        return cacheBytes.get();
    }

    private int[] encodeUncached(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        IntList symbols = new IntList(word.length());
        boolean lastWasUnk = false;
        for (int i = 0; i < word.length(); ) {
            int n = Character.charCount(word.codePointAt(i));
            String ch = word.substring(i, i + n);
            if (i > 0) {
                ch = prefix.concat(ch);
            }
            if (i + n == word.length()) {
                ch = ch.concat(suffix);
            }
            i += n;
            Integer id = vocab.get(ch);
            if (id != null) {
                symbols.add(id);
                lastWasUnk = false;
                continue;
            }
            if (byteFallback && addBytes(word, i - n, i, symbols)) {
                lastWasUnk = false;
                continue;
            }
            if (unkId >= 0 && !(fuseUnk && lastWasUnk)) {
                symbols.add(unkId);
            }
            lastWasUnk = unkId >= 0;
            // without an unknown token the character is dropped
        }
        return BpeMerger.merge(symbols.toArray(), merges);
    }

    private boolean addBytes(String word, int from, int to, IntList symbols) {
        byte[] bytes = word.substring(from, to).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            symbols.add(byteIds[b & 0xFF]);
        }
        return true;
    }
}
