package dev.loupe.train;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.ModelLoader;
import dev.loupe.model.format.Json;
import dev.loupe.model.tokenizer.BpeTrainer;
import dev.loupe.model.tokenizer.HuggingFaceTokenizer;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.model.tokenizer.TrainedBpe;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The whole {@code train-lm} pipeline: tokenizer (trained byte-level BPE or a given tokenizer.json), packed
 * dataset, training with checkpoints, and the finished Hugging Face folder ({@code config.json},
 * {@code model.safetensors}, {@code tokenizer.json}, plus {@code training.json}). Re-running the same
 * command resumes an interrupted run; on a finished folder it does nothing.
 */
public final class TrainLm {
    /** Prefix of a {@code --tokenizer} value asking for a BPE trained on the dataset, e.g. {@code train:4096}. */
    public static final String TRAIN_PREFIX = "train:";
    static final String TOKENIZER_FILE = "tokenizer.json";

    /**
     * What to train; {@code dMlp} is ignored when {@code attnOnly}; {@code init} (or null) is a model folder whose weights
     * the run starts from where the shapes share them; {@code excludeIds} (or null) leaves out the JSON-lines documents
     * whose {@code "id"} it matches in full (e.g. to hold them out for evaluation).
     */
    public record Options(Path dataset, String tokenizer, int layers, int dModel, int heads, boolean attnOnly, int dMlp,
                          int context, long tokens, int batch, double lr, long seed, double repeatFraction, int checkpointEvery, Path out,
                          Path init, Pattern excludeIds) {
        /** Options for a run from a fresh initialisation. */
        public Options(Path dataset, String tokenizer, int layers, int dModel, int heads, boolean attnOnly, int dMlp,
                       int context, long tokens, int batch, double lr, long seed, double repeatFraction, int checkpointEvery, Path out) {
            this(dataset, tokenizer, layers, dModel, heads, attnOnly, dMlp, context, tokens, batch, lr, seed, repeatFraction, checkpointEvery, out, null,
                    null);
        }
    }

    private TrainLm() {}

    /** Runs or resumes training; returns null when {@code out} already holds a finished run. */
    public static LmTrainer.Result run(Options o, String command, PrintStream log, LmTrainer.Listener listener) throws IOException {
        Path ckpt = o.out().resolve(LmTrainer.CHECKPOINT);
        if (Files.exists(o.out().resolve(LmTrainer.RECORD)) && !Files.exists(ckpt)) {
            log.println(o.out() + " already holds a finished run (" + LmTrainer.RECORD + "); nothing to do");
            return null;
        }
        List<String> docs = Documents.read(o.dataset(), o.excludeIds());
        Tokenizer tok = tokenizer(o, docs, Files.exists(ckpt), log);
        int eot = tok.eosId().orElseThrow(() -> new IllegalArgumentException(o.tokenizer() + ": the tokenizer defines no end-of-text token"));
        long t0 = System.nanoTime();
        int[] tokens = PackedDataset.tokenize(docs, tok, eot);
        log.printf("%s: %d documents, %d tokens (vocabulary %d), tokenized in %.1f s%n", o.dataset(), docs.size(), tokens.length,
                tok.vocabSize(), (System.nanoTime() - t0) / 1e9);
        GptShape shape = new GptShape(o.layers(), o.dModel(), o.heads(), o.attnOnly() ? 0 : o.dMlp(), o.context(), tok.vocabSize());
        LmRun defaults = LmRun.of(shape, o.batch(), o.tokens(), o.lr(), o.seed());
        LmRun run = new LmRun(shape, o.batch(), o.tokens(), o.lr(), o.seed(), defaults.warmup(), defaults.minLrFraction(),
                defaults.weightDecay(), defaults.beta1(), defaults.beta2(), defaults.clip(), o.checkpointEvery(), defaults.logEvery(),
                o.repeatFraction());
        PackedDataset data = new PackedDataset(tokens, o.context(), o.seed(), o.repeatFraction());
        String description = o.dataset().getFileName() + (o.excludeIds() == null ? "" : " without ids matching " + o.excludeIds()) + " ("
                + docs.size() + " documents, " + tokens.length + " tokens, " + data.contexts() + " contexts)";
        HookedTransformer start = null;
        if (o.init() != null) {
            start = ModelLoader.load(o.init().toString(), null).transformer();
            description += ", starting from " + o.init().getFileName();
        }
        log.printf("training %s: %d steps of %d tokens (%.2f epochs)%n", shape, run.steps(), run.tokensPerStep(),
                (double) run.steps() * run.batch() / data.contexts());
        LmTrainer.Result r = LmTrainer.train(run, data, description, eot, o.out(), listener, start);
        if (r.resumedFrom() > 0) log.println("resumed from step " + r.resumedFrom());
        Gpt2Folder.write(r.model(), eot, o.out());
        Json.write(o.out().resolve(LmTrainer.RECORD), LmTrainer.record(run, command, description, r));
        Files.deleteIfExists(ckpt);
        return r;
    }

    private static Tokenizer tokenizer(Options o, List<String> docs, boolean resuming, PrintStream log) throws IOException {
        Path target = o.out().resolve(TOKENIZER_FILE);
        Files.createDirectories(o.out());
        if (!o.tokenizer().startsWith(TRAIN_PREFIX)) {
            Path src = Path.of(o.tokenizer());
            if (!src.getFileName().toString().endsWith(".json")) {
                throw new IllegalArgumentException("--tokenizer " + src + ": expected a Hugging Face tokenizer.json or train:VOCAB");
            }
            HuggingFaceTokenizer tok = HuggingFaceTokenizer.load(src);
            if (!Files.exists(target) || !Files.isSameFile(src, target)) Files.copy(src, target, StandardCopyOption.REPLACE_EXISTING);
            return tok;
        }
        if (resuming && Files.exists(target)) return HuggingFaceTokenizer.load(target);
        int vocab;
        try {
            vocab = Integer.parseInt(o.tokenizer().substring(TRAIN_PREFIX.length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--tokenizer " + o.tokenizer() + ": expected train:VOCAB with an integer vocabulary size");
        }
        long t0 = System.nanoTime();
        TrainedBpe bpe = BpeTrainer.train(docs, vocab);
        bpe.write(target);
        log.printf("trained a byte-level BPE of %d tokens (%d merges) in %.1f s -> %s%n", bpe.tokens().size(), bpe.merges().size(),
                (System.nanoTime() - t0) / 1e9, target);
        return HuggingFaceTokenizer.load(target);
    }
}
