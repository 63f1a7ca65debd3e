package dev.loupe.cli;

import dev.loupe.activations.Collection;
import dev.loupe.activations.FloatCodec;
import dev.loupe.activations.HookSelection;
import dev.loupe.activations.StoreManifest;
import dev.loupe.model.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code loupe collect}: run a model over a dataset and store activations at chosen hooks as shards. */
final class CollectCommand implements Command {
    @Override
    public String name() {
        return "collect";
    }

    @Override
    public String summary() {
        return "collect activations over a dataset into a sharded store (resumable)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe collect --model SRC --data FILE|DIR (--hook HOOK [--hook ...] | --mlp-pairs all|L,L...) --context N --out DIR
                                 [--max-tokens N] [--dtype f32|f16|bf16] [--batch B] [--shard-mb M] [--field NAME]
            Runs the model over the dataset packed into contexts of N tokens and writes each hook's activations
            ([rows, d], one row per token) with each row's token id, document index, position in the document and
            row id to safetensors shards of about M MiB (default 256) plus manifest.json (see docs/activations.md).
            Datasets: .jsonl (one document per line, string field --field, default 'text'), any other file as
            one plain-text document, or a folder of such files (sorted). Documents get BOS when the model expects
            it (else are closed by EOS), are concatenated and cut into contexts; the final partial context is dropped.
            --mlp-pairs records, for transcoder training, each chosen layer's MLP input (blocks.L.ln2.hook_normalized)
            and output (blocks.L.hook_mlp_out), row-aligned (one forward pass per batch), besides any --hook.
            The forward stops after the last block a hook needs. Interrupted? Rerun the same command: it resumes
            at the last committed shard. Defaults: --dtype f32, --batch 8.
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0,
                ModelOptions.with("data", "hook", "mlp-pairs", "context", "out", "max-tokens", "dtype", "batch", "shard-mb", "field"), Set.of());
        if (args.all("hook").isEmpty() && !args.has("mlp-pairs")) throw new Args.UsageException(name() + ": at least one --hook (or --mlp-pairs) is required");
        long maxTokens = args.has("max-tokens") ? parseLong(args.get("max-tokens")) : -1;
        LoadedModel model = ModelOptions.load(args);
        List<String> hooks = new ArrayList<>(args.all("hook"));
        if (args.has("mlp-pairs")) {
            try {
                hooks.addAll(HookSelection.mlpPairs(args.get("mlp-pairs"), model.transformer().config().nLayers()));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException(name() + ": " + e.getMessage());
            }
        }
        Collection job = new Collection(Path.of(args.require("data")), args.getOr("field", "text"), hooks,
                requireInt(args, "context"),
                Path.of(args.require("out")), maxTokens, FloatCodec.parse(args.getOr("dtype", "f32")), args.intOr("batch", 8),
                (long) args.intOr("shard-mb", 256) << 20);
        StoreManifest m = job.run(model, System.err);
        System.err.println("collect: " + job.out() + " holds " + m.rows() + " rows in " + m.shards().size() + " shards (digest " + m.digest() + ")");
        return 0;
    }

    private static int requireInt(Args args, String name) {
        args.require(name);
        return args.intOr(name, 0);
    }

    private long parseLong(String s) {
        try {
            return Long.parseLong(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new Args.UsageException(name() + ": --max-tokens expects an integer, got '" + s + "'");
        }
    }
}
