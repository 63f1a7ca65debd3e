package dev.loupe.model.arch;

import dev.loupe.model.format.ConfigException;
import dev.loupe.model.format.HfConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The config.json fields one architecture adapter understands. Every field present must be one the adapter reads,
 * one that cannot change what the model computes (token ids, dtype, dropout and other training-only settings), or
 * one the adapter accepts only at the value it implements (e.g. {@code use_bidirectional_attention: false});
 * anything else (mixture-of-experts fields, a newer attention variant) is refused with the field named, never
 * silently ignored.
 */
final class ConfigFields {
    /** Fields any checkpoint may carry that do not change the function the model computes at inference. */
    private static final Set<String> HARMLESS = Set.of("architectures", "model_type", "transformers_version", "torch_dtype", "dtype",
            "_name_or_path", "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "unk_token_id", "use_cache",
            "initializer_range", "initializer_factor", "attention_dropout", "hidden_dropout", "hidden_dropout_prob",
            "attention_probs_dropout_prob", "embd_pdrop", "attn_pdrop", "resid_pdrop", "summary_type", "summary_use_proj",
            "summary_activation", "summary_proj_to_labels", "summary_first_dropout", "task_specific_params", "id2label",
            "label2id", "problem_type", "tokenizer_class", "return_dict", "output_attentions", "output_hidden_states",
            "cache_implementation", "classifier_dropout", "gradient_checkpointing", "pretraining_tp");

    private final Set<String> read;
    private final Map<String, Object> onlyAt;

    private ConfigFields(Set<String> read, Map<String, Object> onlyAt) {
        this.read = read;
        this.onlyAt = onlyAt;
    }

    /** The fields the adapter reads. */
    static ConfigFields reads(String... fields) {
        return new ConfigFields(new TreeSet<>(Set.of(fields)), new LinkedHashMap<>());
    }

    /** These fields and {@code more}. */
    ConfigFields and(String... more) {
        ConfigFields f = new ConfigFields(new TreeSet<>(read), new LinkedHashMap<>(onlyAt));
        f.read.addAll(Set.of(more));
        return f;
    }

    /** Also accepts {@code field} when it holds {@code value} (a Boolean or String): the behaviour implemented. */
    ConfigFields onlyAt(String field, Object value) {
        ConfigFields f = and();
        f.onlyAt.put(field, value);
        return f;
    }

    /** Refuses the first field of {@code c} outside these, naming it and the architecture. */
    void check(HfConfig c, String architecture) {
        for (String field : c.fields()) {
            if (read.contains(field) || HARMLESS.contains(field)) continue;
            Object expected = onlyAt.get(field);
            if (expected != null) {
                Object actual = expected instanceof Boolean ? (Object) c.requireBoolean(field) : c.requireString(field);
                if (expected.equals(actual)) continue;
                throw new ConfigException(c.source() + ": field '" + c.qualified(field) + "' is " + actual + " but Loupe implements "
                        + architecture + " only with " + expected);
            }
            throw new ConfigException(c.source() + ": field '" + c.qualified(field) + "' is not implemented by Loupe for " + architecture
                    + "; refusing to ignore it, since it may change what the model computes");
        }
    }
}
