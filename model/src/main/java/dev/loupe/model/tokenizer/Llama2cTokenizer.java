package dev.loupe.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The tokenizer of Karpathy's llama2.c ({@code tokenizer.bin}, {@code tok512.bin}): a
 * SentencePiece BPE vocabulary exported as little-endian {@code int max_token_length}, then per
 * token {@code float score, int len, byte[len] piece}. The file does not store the vocabulary
 * size; tokens are read until the end of the file.
 *
 * <p>Encoding follows llama2.c's {@code run.c}: a dummy-prefix {@code " "} token when the text
 * is non-empty, one symbol per UTF-8 code point (unknown code points fall back to byte ids
 * {@code 3 + byte}), then repeatedly merge the adjacent pair whose concatenated piece is in the
 * vocabulary with the highest score (leftmost on ties) — run by the shared {@link BpeMerger}.
 * BOS is 1 and EOS is 2.
 *
 * <p>Decoding skips BOS/EOS, turns {@code <0xXX>} pieces into raw bytes and strips the leading
 * space of the piece that follows BOS, as {@code run.c} does. It also strips it from the first
 * piece of a sequence that does not start with BOS, so {@code decode(encode(s)) == s}; that
 * space is the dummy prefix, not part of the text.
 */
public final class Llama2cTokenizer implements Tokenizer {
    static final int UNK = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    private static final int BYTE_OFFSET = 3;

    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final Map<String, Integer> index;
    private final MergeRules rules;

    private Llama2cTokenizer(String[] pieces, byte[][] pieceBytes, float[] scores) {
        this.pieces = pieces;
        this.pieceBytes = pieceBytes;
        this.index = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            index.putIfAbsent(pieces[i], i);
        }
        // rank = position of the piece's score among the distinct scores, highest first
        // (0.0 and -0.0 count as equal, as in C).
        float[] distinct = scores.clone();
        for (int i = 0; i < distinct.length; i++) {
            distinct[i] = distinct[i] + 0.0f; // normalise -0.0
        }
        Arrays.sort(distinct);
        int[] rank = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int pos = Arrays.binarySearch(distinct, scores[i] + 0.0f);
            rank[i] = distinct.length - 1 - lastIndexOf(distinct, pos);
        }
        this.rules = (left, right) -> {
            Integer merged = index.get(pieces[left].concat(pieces[right]));
            return merged == null ? MergeRules.NO_MERGE : MergeRules.rule(rank[merged], merged);
        };
    }

    private static int lastIndexOf(float[] sorted, int pos) {
        while (pos + 1 < sorted.length && sorted[pos + 1] == sorted[pos]) {
            pos++;
        }
        return pos;
    }

    /** Reads a llama2.c tokenizer file, taking every token until the end of the file. */
    public static Llama2cTokenizer load(Path file) throws IOException {
        return load(file, -1);
    }

    /**
     * Reads a llama2.c tokenizer file expecting exactly {@code vocabSize} tokens (as given by the
     * model's header), or all of them when {@code vocabSize < 0}.
     */
    public static Llama2cTokenizer load(Path file, int vocabSize) throws IOException {
        byte[] data = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        String what = "llama2.c tokenizer " + file;
        if (buf.remaining() < 4) {
            throw new TokenizerFormatException(what + ": file has " + data.length
                    + " bytes, expected at least a 4-byte max_token_length header");
        }
        int maxLen = buf.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new TokenizerFormatException(what + ": max_token_length header is " + maxLen
                    + ", expected a small positive int (is this a llama2.c tokenizer.bin?)");
        }
        var pieces = new java.util.ArrayList<String>();
        var bytes = new java.util.ArrayList<byte[]>();
        float[] scores = new float[1024];
        while (buf.hasRemaining() && (vocabSize < 0 || pieces.size() < vocabSize)) {
            int t = pieces.size();
            if (buf.remaining() < 8) {
                throw truncated(what, t, buf, "8 bytes of score and length");
            }
            float score = buf.getFloat();
            int len = buf.getInt();
            if (len < 0 || len > maxLen) {
                throw new TokenizerFormatException(what + ": token " + t + " at byte offset "
                        + (buf.position() - 4) + " has length " + len
                        + ", expected 0.." + maxLen + " (max_token_length); the file is corrupt");
            }
            if (buf.remaining() < len) {
                throw truncated(what, t, buf, len + " bytes of piece");
            }
            byte[] p = new byte[len];
            buf.get(p);
            if (t == scores.length) {
                scores = Arrays.copyOf(scores, t * 2);
            }
            scores[t] = score;
            bytes.add(p);
            pieces.add(new String(p, StandardCharsets.UTF_8));
        }
        if (vocabSize >= 0 && pieces.size() < vocabSize) {
            throw new TokenizerFormatException(what + ": file ends after " + pieces.size()
                    + " tokens, expected vocab_size " + vocabSize + " (truncated?)");
        }
        if (pieces.size() < BYTE_OFFSET + 256) {
            throw new TokenizerFormatException(what + ": only " + pieces.size()
                    + " tokens, expected at least 259 (<unk>, <s>, </s> and 256 byte tokens)");
        }
        return new Llama2cTokenizer(pieces.toArray(String[]::new), bytes.toArray(byte[][]::new),
                Arrays.copyOf(scores, pieces.size()));
    }

    private static TokenizerFormatException truncated(String what, int token, ByteBuffer buf, String need) {
        return new TokenizerFormatException(what + ": truncated at token " + token + " (byte offset "
                + buf.position() + "): expected " + need + ", found " + buf.remaining());
    }

    @Override
    public int[] encode(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        IntList symbols = new IntList(text.length() + 1);
        String withPrefix = " ".concat(text);
        for (int i = 0; i < withPrefix.length(); ) {
            int cp = withPrefix.codePointAt(i);
            int n = Character.charCount(cp);
            String ch = withPrefix.substring(i, i + n);
            Integer id = index.get(ch);
            if (id != null) {
                symbols.add(id);
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    symbols.add((b & 0xFF) + BYTE_OFFSET);
                }
            }
            i += n;
        }
        return BpeMerger.merge(symbols.toArray(), rules);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id == BOS || id == EOS) {
                continue;
            }
            byte[] p = pieceBytes[id];
            int b = byteToken(pieces[id]);
            if (b >= 0) {
                out.write(b);
                continue;
            }
            boolean afterBos = i == 0 || ids[i - 1] == BOS;
            int start = afterBos && p.length > 0 && p[0] == ' ' ? 1 : 0;
            out.write(p, start, p.length - start);
        }
        return Utf8.decode(out.toByteArray());
    }

    /** The byte of a {@code <0xXX>} piece, or -1. */
    static int byteToken(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public OptionalInt bosId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public OptionalInt eosId() {
        return OptionalInt.of(EOS);
    }

    @Override
    public String tokenString(int id) {
        return pieces[id];
    }

    @Override
    public boolean addsBos() {
        return true;
    }
}
