package dev.loupe.model.tokenizer;

/**
 * The ids a post-processor puts around a single sequence, e.g. {@code [CLS]} ... {@code [SEP]}
 * for BERT or {@code <s>} ... for Llama ({@code TemplateProcessing}, {@code BertProcessing},
 * {@code RobertaProcessing}).
 */
record Template(int[] prefix, int[] suffix) {
    static final Template NONE = new Template(new int[0], new int[0]);

    boolean isEmpty() {
        return prefix.length == 0 && suffix.length == 0;
    }

    int[] apply(int[] ids) {
        int[] out = new int[prefix.length + ids.length + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(ids, 0, out, prefix.length, ids.length);
        System.arraycopy(suffix, 0, out, prefix.length + ids.length, suffix.length);
        return out;
    }
}
