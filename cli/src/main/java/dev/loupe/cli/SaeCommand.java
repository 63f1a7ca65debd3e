package dev.loupe.cli;

import dev.loupe.activations.HookSelection;
import dev.loupe.activations.StoreManifest;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.sae.ActivationSource;
import dev.loupe.sae.EvalReport;
import dev.loupe.sae.FeatureScan;
import dev.loupe.sae.ScanTarget;
import dev.loupe.sae.LiveModelSource;
import dev.loupe.sae.Sae;
import dev.loupe.sae.SaeConfig;
import dev.loupe.sae.SaeEvaluator;
import dev.loupe.sae.SaeLensFormat;
import dev.loupe.sae.SaeTrainer;
import dev.loupe.sae.StoreSource;
import dev.loupe.sae.TextContexts;
import dev.loupe.sae.TrainOptions;
import dev.loupe.sae.TranscoderEvaluator;
import dev.loupe.sae.TranscoderSpec;
import dev.loupe.sae.TranscoderTrainer;
import dev.loupe.sae.TranscoderWeights;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import dev.loupe.sae.transcoder.SaeLensTranscoder;
import dev.loupe.sae.transcoder.TranscoderHooks;
import dev.loupe.sae.transcoder.TranscoderSet;
import dev.loupe.train.LrSchedule;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code loupe sae train|eval|features}: sparse autoencoders on a model's activations. */
final class SaeCommand implements Command {
    private static final String TEXT_USAGE = """
              --data FILE        text to read: a .jsonl file (one JSON object a line, field --field) or plain text lines
              --store DIR        (train) read activations from a store made by 'loupe collect' + 'loupe shuffle' instead of --data
              --field NAME       JSON field holding the text (default: text)
              --context N        tokens per context, BOS included (default: 128)
              --skip-docs N      documents to skip first, e.g. to evaluate on documents not trained on (default: 0)""";

    @Override
    public String name() {
        return "sae";
    }

    @Override
    public String summary() {
        return "train, evaluate and inspect sparse autoencoders (train | eval | features)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe sae train|eval|features [options]

            loupe sae train --model SRC --hook NAME --data FILE --out DIR [options]
              Trains an SAE on the activations at one hook, computed live from the model over the text
              (contexts packed from the documents, rows mixed in a shuffling buffer), and writes it in
              SAELens's format (DIR/cfg.json + DIR/sae_weights.safetensors). Shows a progress bar with live
              L0, FVU and dead-latent count. With --checkpoint, resumes exactly where a killed run stopped.
              --hook NAME        hook to read, e.g. blocks.2.hook_resid_post (list them: loupe hooks --model SRC)
              --arch NAME        standard (ReLU + decoder-norm-weighted L1) | topk | batchtopk | jumprelu (default: topk)
              --d-sae N          latents (default: 8 x the hook's width)
              --k N              latents per token, topk/batchtopk (default: 32)
              --l1 X             sparsity coefficient: L1 for standard, L0 for jumprelu (default: 1.0)
              --steps N          optimizer steps (default: 2000)
              --batch N          activation rows per step (default: 4096)
              --lr X             peak Adam learning rate (default: 4e-4)
              --warmup N         learning-rate warmup steps (default: steps/10, at most 100)
              --decay linear|cosine|constant   decay over the last 20% of steps (default: linear)
              --buffer N         rows in the mixing buffer (default: 65536)
              --seed N           seed of initialisation and sampling (default: 42)
              --checkpoint FILE  write a checkpoint every --every steps and resume from it if it exists (default: none)
              --every N          steps between checkpoints (default: 500)
            """ + TEXT_USAGE + "\n" + ModelOptions.USAGE + """

              Example: loupe sae train --model ../shared/models/stories260K/stories260K.bin --hook blocks.2.hook_resid_post \\
                         --data ../shared/data/brown.jsonl --d-sae 512 --k 16 --steps 400 --batch 1024 --lr 2e-3 --out sae-l2

            loupe sae train --kind transcoder|skip_transcoder|clt --model SRC (--data FILE | --store DIR) --out DIR [options]
              Trains transcoders that read each layer's MLP input (blocks.L.ln2.hook_normalized) and predict its output
              (blocks.L.hook_mlp_out): per-layer transcoders, skip transcoders (plus a linear W_skip path) or a cross-layer
              transcoder (an encoder per layer; each feature writes to its own and every later layer). Same options as
              above (--arch: standard | topk | jumprelu; --d-sae: features per layer), no --hook; --store must hold the
              MLP input/output pairs (see the collect command). Every layer → circuit-tracer's layout (config.yaml +
              safetensors, what loupe attribute --transcoders reads); one layer → SAELens's transcoder layout (cfg.json +
              safetensors).
              --layers all|L,L   layers to replace (default: all)
              Example: loupe sae train --kind clt --model ../shared/models/stories260K/stories260K.bin \\
                         --data ../shared/data/brown.jsonl --d-sae 128 --k 8 --steps 500 --batch 512 --lr 3e-3 --out clt

            loupe sae eval --model SRC (--sae DIR | --transcoders DIR) --data FILE [--batches N] [--batch-size N] [text options]
              Measures the SAE on text: MSE, fraction of variance unexplained, L0, dead (never active) and dense
              (active on >10% of tokens) latents, and next-token cross-entropy with the reconstruction spliced in
              against the clean model and zero-ablation (CE loss recovered), plus KL to the clean distribution.
              --transcoders (circuit-tracer layout): FVU of every MLP output, L0, dead features, and CE with every
              MLP output replaced by the transcoders' prediction against clean and zeroed MLPs (CE recovered).
              --batches N        batches of contexts to evaluate (default: 8)
              --batch-size N     contexts per batch (default: 16)
              Example: loupe sae eval --model ../shared/models/stories260K/stories260K.bin --sae sae-l2 \\
                         --data ../shared/data/brown.jsonl --skip-docs 450

            loupe sae features --model SRC --sae DIR --data FILE --out FILE.db [options]
              One streaming pass over the text recording, for every latent, its firing frequency, an activation
              histogram (log bins), its top activating contexts (token windows with per-token activations) and
              its top positive/negative logit effects, into a SQLite database (tables: meta, features, histogram,
              examples, logit_effects; see docs/sae.md).
              --top N            contexts kept per latent (default: 20)
              --window N         tokens each side of the activating token (default: 8)
              --logits N         top/bottom vocabulary entries per latent (default: 10)
              --batches N, --batch-size N   as for eval (default: 8, 16)
              Example: loupe sae features --model ../shared/models/stories260K/stories260K.bin --sae sae-l2 \\
                         --data ../shared/data/brown.jsonl --out sae-l2/features.db

            loupe sae features --model SRC --transcoders DIR --data FILE --out DIR2 [--layers 0,1] [options]
              The same scan for transcoder features (circuit-tracer layout; per-layer sets or a CLT), one store per
              layer, DIR2/layer_{i}.db: features read at layer i, their contexts at the MLP input, their logit
              effects through every layer they write. 'loupe serve --transcoders DIR' serves DIR/features/ as the
              graph view's feature dashboards ('loupe serve --transcoder-features DIR2' names another folder).
            """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length == 0) throw new Args.UsageException("sae: name a subcommand: train, eval or features");
        String sub = argv[0];
        return switch (sub) {
            case "train" -> train(new Args("sae train", argv, 1, ModelOptions.with("kind", "layers", "hook", "arch", "d-sae", "k", "l1", "steps", "batch", "lr", "warmup",
                    "decay", "buffer", "seed", "checkpoint", "every", "data", "store", "field", "context", "skip-docs", "out"), Set.of()));
            case "eval" -> eval(new Args("sae eval", argv, 1, ModelOptions.with("sae", "transcoders", "batches", "batch-size", "data", "field", "context",
                    "skip-docs"), Set.of()));
            case "features" -> features(new Args("sae features", argv, 1, ModelOptions.with("sae", "transcoders", "layers", "batches", "batch-size", "data",
                    "field", "context", "skip-docs", "out", "top", "window", "logits"), Set.of()));
            default -> throw new Args.UsageException("sae: unknown subcommand '" + sub + "' (train, eval, features)");
        };
    }

    private static TextContexts texts(Args a, LoadedModel m) throws java.io.IOException {
        List<String> docs = TextContexts.read(Path.of(a.require("data")), a.getOr("field", "text"));
        int skip = a.intOr("skip-docs", 0);
        if (skip >= docs.size()) throw new Args.UsageException(a + ": --skip-docs " + skip + " leaves none of the " + docs.size() + " documents");
        return new TextContexts(docs.subList(skip, docs.size()), m.requireTokenizer(), a.intOr("context", 128));
    }

    private int train(Args a) throws Exception {
        String kind = a.getOr("kind", "sae");
        if (!kind.equals("sae") && !List.of(TranscoderSpec.PLT, TranscoderSpec.SKIP, TranscoderSpec.CLT).contains(kind)) {
            throw new Args.UsageException("sae train: --kind expects sae, transcoder, skip_transcoder or clt, got '" + kind + "'");
        }
        LoadedModel m = ModelOptions.load(a);
        TrainOptions.Builder o = options(a);
        if (!kind.equals("sae")) return trainTranscoders(a, m, kind, o);
        String hook = a.require("hook");
        Path out = Path.of(a.require("out"));
        ActivationSource src;
        int context;
        if (a.has("store")) {
            Path store = Path.of(a.get("store"));
            src = new StoreSource(store, hook);
            context = StoreManifest.read(store).context();
        } else {
            TextContexts texts = texts(a, m);
            src = new LiveModelSource(m.transformer(), hook, texts, a.intOr("buffer", 65536), 16, o.seed + 1, true);
            context = texts.contextSize();
        }
        var spec = HookPattern.select(m.transformer().hooks(), hook).getFirst();
        String arch = a.getOr("arch", "topk");
        int k = a.intOr("k", 32);
        SaeConfig cfg = new SaeConfig(arch, src.dIn(), a.intOr("d-sae", 8 * src.dIn()), hook, spec.layer(), m.source().getFileName().toString(),
                dev.loupe.sae.SaeArchitectures.get(arch).usesK() ? k : 0, true, "none", context);
        o.kAux = Math.min(Math.max(1, cfg.dIn() / 2), cfg.dSae());
        Sae sae = new SaeTrainer(cfg, o.build(), src).train();
        SaeLensFormat.write(sae, out);
        System.err.println("wrote " + cfg.architecture() + " SAE (d_in " + cfg.dIn() + ", d_sae " + cfg.dSae() + ") for " + hook + " to " + out);
        return 0;
    }

    /** Transcoders over the chosen layers; written in circuit-tracer's layout (all layers) or SAELens's (one layer). */
    private int trainTranscoders(Args a, LoadedModel m, String kind, TrainOptions.Builder o) throws Exception {
        if (a.has("hook")) throw new Args.UsageException("sae train: transcoders read each layer's MLP input and predict its output; drop --hook");
        Path out = Path.of(a.require("out"));
        int nLayers = m.transformer().config().nLayers(), d = m.transformer().config().dModel();
        int[] layers;
        try {
            layers = HookSelection.mlpPairs(a.getOr("layers", "all"), nLayers).stream().filter(h -> h.endsWith("hook_normalized"))
                    .mapToInt(h -> Integer.parseInt(h.split("\\.")[1])).toArray();
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("sae train: " + e.getMessage().replace("--mlp-pairs", "--layers"));
        }
        String arch = a.getOr("arch", "topk");
        boolean all = layers.length == nLayers;
        if (!all && layers.length != 1) {
            throw new Args.UsageException("sae train: transcoders are saved for every layer (circuit-tracer) or one layer (SAELens); --layers names " + layers.length);
        }
        if (!all && (kind.equals(TranscoderSpec.CLT) || arch.equals("topk"))) {
            throw new Args.UsageException("sae train: a single-layer " + (kind.equals(TranscoderSpec.CLT) ? "CLT" : "topk transcoder")
                    + " has no SAELens layout; train every layer (--layers all) or use --arch standard|jumprelu");
        }
        TranscoderSpec spec = new TranscoderSpec(kind, arch, layers, d, a.intOr("d-sae", 8 * d),
                dev.loupe.sae.SaeArchitectures.get(arch).usesK() ? a.intOr("k", 32) : 0, TranscoderHooks.MLP, m.source().getFileName().toString());
        ActivationSource src = a.has("store") ? new StoreSource(Path.of(a.get("store")), spec.rowHooks())
                : new LiveModelSource(m.transformer(), spec.rowHooks(), texts(a, m), a.intOr("buffer", 65536), 16, o.seed + 1, true);
        TranscoderWeights w = new TranscoderTrainer(spec, o.build(), src).train();
        if (!all) SaeLensTranscoder.write(w.layer(0), spec.hooks(), spec.modelName(), out);
        else switch (w.toTranscoders()) {
            case TranscoderSet s -> CircuitTracerFormat.write(s, out);
            case CrossLayerTranscoder c -> CircuitTracerFormat.write(c, out);
        }
        System.err.println("wrote " + kind + " (" + arch + ", " + spec.dTranscoder() + " features per layer, layers " + Arrays.toString(layers) + ") to " + out
                + (all ? " in circuit-tracer's layout" : " in SAELens's layout"));
        return 0;
    }

    /** The optimisation options shared by SAEs and transcoders. */
    private static TrainOptions.Builder options(Args a) {
        int steps = a.intOr("steps", 2000);
        TrainOptions.Builder o = TrainOptions.builder(steps);
        o.batchSize = a.intOr("batch", 4096);
        o.lr = a.doubleOr("lr", 4e-4);
        o.coefficient = a.doubleOr("l1", 1.0);
        o.seed = a.intOr("seed", 42);
        o.progress = true;
        String decay = a.getOr("decay", "linear").toUpperCase();
        if (Arrays.stream(LrSchedule.Decay.values()).noneMatch(d -> d.name().equals(decay))) {
            throw new Args.UsageException("sae train: --decay expects linear, cosine or constant, got '" + a.get("decay") + "'");
        }
        o.schedule = new LrSchedule(a.intOr("warmup", Math.min(100, steps / 10)), steps - steps / 5, steps, LrSchedule.Decay.valueOf(decay), 0);
        if (a.has("checkpoint")) {
            o.checkpoint = Path.of(a.get("checkpoint"));
            o.checkpointEvery = a.intOr("every", 500);
        }
        return o;
    }

    private int eval(Args a) throws Exception {
        LoadedModel m = ModelOptions.load(a);
        if (a.has("transcoders")) {
            TranscoderWeights w = TranscoderWeights.of(CircuitTracerFormat.read(Path.of(a.get("transcoders"))), m.source().getFileName().toString());
            System.out.println(TranscoderEvaluator.evaluate(m.transformer(), w, texts(a, m), a.intOr("batches", 8), a.intOr("batch-size", 16),
                    new ProgressBar("transcoder eval", "tok", 0, System.err)));
            return 0;
        }
        Sae sae = SaeLensFormat.read(Path.of(a.require("sae")));
        EvalReport r = SaeEvaluator.evaluate(m.transformer(), sae, texts(a, m), a.intOr("batches", 8), a.intOr("batch-size", 16),
                new ProgressBar("sae eval", "tok", 0, System.err));
        System.out.println(r);
        return 0;
    }

    private int features(Args a) throws Exception {
        if (a.has("sae") == a.has("transcoders")) throw new Args.UsageException("sae features: give exactly one of --sae and --transcoders");
        LoadedModel m = ModelOptions.load(a);
        if (a.has("transcoders")) return transcoderFeatures(a, m);
        Sae sae = SaeLensFormat.read(Path.of(a.require("sae")));
        Path out = Path.of(a.require("out"));
        FeatureScan.run(m.transformer(), m.tokenizer(), ScanTarget.of(m.transformer(), sae), texts(a, m), a.intOr("batches", 8), a.intOr("batch-size", 16),
                a.intOr("top", 20), a.intOr("window", 8), a.intOr("logits", 10), out, new ProgressBar("sae features", "tok", 0, System.err));
        System.err.println("wrote feature statistics for " + sae.dSae() + " latents to " + out);
        return 0;
    }

    /** One feature store per transcoder layer: {@code OUT/layer_{i}.db} ({@link ScanTarget#transcoderStore}). */
    private int transcoderFeatures(Args a, LoadedModel m) throws Exception {
        Transcoders tc = CircuitTracerFormat.read(Path.of(a.get("transcoders")));
        Path out = Path.of(a.require("out"));
        java.nio.file.Files.createDirectories(out);
        int[] layers = a.has("layers") ? RunCommand.parseIds(a.get("layers")) : java.util.stream.IntStream.range(0, tc.nLayers()).toArray();
        for (int l : layers) {
            ScanTarget target;
            try {
                target = ScanTarget.of(m.transformer(), tc, l);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("sae features: " + e.getMessage());
            }
            Path db = out.resolve(ScanTarget.transcoderStore(l));
            FeatureScan.run(m.transformer(), m.tokenizer(), target, texts(a, m), a.intOr("batches", 8), a.intOr("batch-size", 16), a.intOr("top", 20),
                    a.intOr("window", 8), a.intOr("logits", 10), db, new ProgressBar("sae features layer " + l, "tok", 0, System.err));
            System.err.println("wrote feature statistics for " + target.latents() + " features of layer " + l + " to " + db);
        }
        return 0;
    }
}
