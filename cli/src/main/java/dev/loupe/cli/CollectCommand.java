package dev.loupe.cli;

import dev.loupe.activations.Collection;
import dev.loupe.activations.FloatCodec;
import dev.loupe.activations.StoreManifest;
import java.nio.file.Path;
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
            Usage: loupe collect --model SRC --data FILE|DIR --hook HOOK [--hook ...] --context N --out DIR
                                 [--max-tokens N] [--dtype f32|f16|bf16] [--batch B] [--shard-mb M] [--field NAME]
            Runs the model over the dataset packed into contexts of N tokens and writes each hook's activations
            ([rows, d], one row per token) with each row's token id, document index, position in the document and
            row id to safetensors shards of about M MiB (default 256) plus manifest.json (see docs/activations.md).
            Datasets: .jsonl (one document per line, string field --field, default 'text'), any other file as
            one plain-text document, or a folder of such files (sorted). Documents get BOS when the model expects
            it (else are closed by EOS), are concatenated and cut into contexts; the final partial context is dropped.
            The forward stops after the last block a hook needs. Interrupted? Rerun the same command: it resumes
            at the last committed shard. Defaults: --dtype f32, --batch 8.
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0,
                ModelOptions.with("data", "hook", "context", "out", "max-tokens", "dtype", "batch", "shard-mb", "field"), Set.of());
        if (args.all("hook").isEmpty()) throw new Args.UsageException(name() + ": at least one --hook is required");
        long maxTokens = args.has("max-tokens") ? parseLong(args.get("max-tokens")) : -1;
        Collection job = new Collection(Path.of(args.require("data")), args.getOr("field", "text"), args.all("hook"),
                requireInt(args, "context"),
                Path.of(args.require("out")), maxTokens, FloatCodec.parse(args.getOr("dtype", "f32")), args.intOr("batch", 8),
                (long) args.intOr("shard-mb", 256) << 20);
        StoreManifest m = job.run(ModelOptions.load(args), System.err);
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
