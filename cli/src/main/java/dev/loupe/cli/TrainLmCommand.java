package dev.loupe.cli;

import dev.loupe.train.LmTrainer;
import dev.loupe.train.TrainLm;
import dev.loupe.train.TrainingProgress;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** {@code loupe train-lm}: trains a small GPT-2-architecture model from scratch and writes a Hugging Face folder. */
final class TrainLmCommand implements Command {
    @Override
    public String name() {
        return "train-lm";
    }

    @Override
    public String summary() {
        return "train a small GPT-2-style model (optionally attention-only) from scratch";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe train-lm --data FILE --tokenizer (train:VOCAB | FILE) --layers L --d-model D --heads H
                                  [--attn-only] [--d-mlp M] [--context N] [--tokens T] [--batch B] [--lr LR] [--seed S]
                                  [--repeat-fraction F] [--checkpoint-every STEPS] [--init DIR] [--exclude-ids REGEX]
                                  --out DIR
              --data FILE          JSON lines with a "text" field (.jsonl), or plain text (one document)
              --tokenizer SPEC     train:VOCAB learns a GPT-2-style byte-level BPE of VOCAB tokens on the dataset;
                                   or a tokenizer.json (it must define an end-of-text token)
              --attn-only          no MLPs (written as GPT-2 with n_inner 0)
              --d-mlp M            MLP width (default 4·D)
              --context N          tokens per training sequence and n_positions (default 256)
              --tokens T           training tokens, e.g. 5M or 300k (default 1M)
              --batch B            sequences per step (default 8)
              --lr LR              peak learning rate (default 1e-3): warmup then cosine decay to LR/10
              --seed S             initialisation and data order (default 0)
              --repeat-fraction F  fraction of sequences holding one repeated passage: a stretch of their own text
                                   (8 tokens to half a context, at a random place) followed by a copy of itself
                                   (default 0); makes induction heads form within a small token budget
              --checkpoint-every STEPS  steps between checkpoints (default 100)
              --init DIR           start from this model's weights where the new shape has them (e.g. add MLPs to a
                                   trained attention-only model: MLPs and their norms start fresh)
              --exclude-ids REGEX  leave out the .jsonl documents whose "id" field matches REGEX in full (e.g. c.0[12]
                                   to hold out Brown's first two documents of each genre); recorded in training.json
              --out DIR            output folder; rerunning the same command there resumes
            AdamW (betas 0.9/0.95, weight decay 0.1 on attention/MLP weight matrices only), gradient clipping at global
            norm 1, GPT-2 initialisation. Interrupted runs (even kill -9) resume when the same command is run again and
            end with the same weights bit for bit. Writes DIR/config.json, model.safetensors, tokenizer.json, training.json.
            """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args a = new Args(name(), argv, 0, Set.of("data", "tokenizer", "layers", "d-model", "heads", "d-mlp", "context", "tokens",
                "batch", "lr", "seed", "repeat-fraction", "checkpoint-every", "init", "exclude-ids", "out"), Set.of("attn-only"));
        int d = requireInt(a, "d-model");
        var o = new TrainLm.Options(Path.of(a.require("data")), a.require("tokenizer"), requireInt(a, "layers"), d,
                requireInt(a, "heads"), a.has("attn-only"), a.intOr("d-mlp", 4 * d), a.intOr("context", 256),
                count(a.getOr("tokens", "1M")), a.intOr("batch", 8), a.doubleOr("lr", 1e-3), a.intOr("seed", 0),
                a.doubleOr("repeat-fraction", 0), a.intOr("checkpoint-every", 100), Path.of(a.require("out")),
                a.has("init") ? Path.of(a.get("init")) : null, a.has("exclude-ids") ? idPattern(a.get("exclude-ids")) : null);
        LmTrainer.Result r = TrainLm.run(o, "loupe train-lm " + String.join(" ", argv), System.err, new TrainingProgress(System.err));
        if (r != null) {
            var last = r.log().getLast();
            System.err.printf("final loss %.4f after %,d tokens; %,.0f tokens/s; wrote %s%n", last.loss(), last.tokens(), r.tokensPerSecond(), o.out());
        }
        return 0;
    }

    private static int requireInt(Args a, String name) {
        a.require(name);
        return a.intOr(name, 0);
    }

    private static Pattern idPattern(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new Args.UsageException("train-lm: --exclude-ids expects a regular expression, got '" + regex + "' (" + e.getDescription() + ")");
        }
    }

    /** Parses 300k, 5M, 1e6 or a plain integer. */
    static long count(String s) {
        String t = s.trim();
        long mult = 1;
        char last = Character.toLowerCase(t.charAt(t.length() - 1));
        if (last == 'k' || last == 'm') {
            mult = last == 'k' ? 1_000 : 1_000_000;
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.round(Double.parseDouble(t) * mult);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("train-lm: --tokens expects a count such as 300k or 5M, got '" + s + "'");
        }
    }
}
