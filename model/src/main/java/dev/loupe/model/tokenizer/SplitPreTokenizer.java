package dev.loupe.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face's {@code Split} pre-tokenizer: finds the (non-empty) matches of a pattern and
 * decides what happens to them by {@link Behavior}; {@code invert} swaps the roles of matches and
 * the text between them. Also the building block of ByteLevel's GPT-2 regex, BertPreTokenizer,
 * Whitespace and Digits.
 */
record SplitPreTokenizer(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {

    /** What to do with the delimiters (matches), as HF's {@code SplitDelimiterBehavior}. */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** Compiles with Unicode character classes, as the Rust regex engines behind HF use. */
    static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    @Override
    public List<String> split(List<String> pieces, boolean atTextStart) {
        List<String> out = new ArrayList<>(pieces.size() * 4);
        for (String piece : pieces) {
            splitOne(piece, out);
        }
        return out;
    }

    void splitOne(String s, List<String> out) {
        // spans as (start, end, isMatch) triples
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.start() == m.end()) {
                continue;
            }
            if (m.start() > last) {
                spans.add(new int[] {last, m.start(), 0});
            }
            spans.add(new int[] {m.start(), m.end(), 1});
            last = m.end();
        }
        if (last < s.length()) {
            spans.add(new int[] {last, s.length(), 0});
        }
        if (invert) {
            for (int[] sp : spans) {
                sp[2] ^= 1;
            }
        }
        List<int[]> result = new ArrayList<>(spans.size());
        switch (behavior) {
            case REMOVED -> {
                for (int[] sp : spans) {
                    if (sp[2] == 0) result.add(sp);
                }
            }
            case ISOLATED -> result.addAll(spans);
            case CONTIGUOUS -> {
                for (int[] sp : spans) {
                    int[] prev = result.isEmpty() ? null : result.getLast();
                    if (prev != null && prev[2] == 1 && sp[2] == 1) {
                        prev[1] = sp[1];
                    } else {
                        result.add(sp);
                    }
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (int[] sp : spans) {
                    if (sp[2] == 1 && !previousMatch && !result.isEmpty()) {
                        result.getLast()[1] = sp[1];
                    } else {
                        result.add(sp);
                    }
                    previousMatch = sp[2] == 1;
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean nextMatch = false;
                for (int i = spans.size() - 1; i >= 0; i--) {
                    int[] sp = spans.get(i);
                    if (sp[2] == 1 && !nextMatch && !result.isEmpty()) {
                        result.getLast()[0] = sp[0];
                    } else {
                        result.add(sp);
                    }
                    nextMatch = sp[2] == 1;
                }
                java.util.Collections.reverse(result);
            }
        }
        for (int[] sp : result) {
            if (sp[1] > sp[0]) {
                out.add(s.substring(sp[0], sp[1]));
            }
        }
    }
}
