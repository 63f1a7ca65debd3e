package dev.loupe.cli;

import dev.loupe.interp.intervene.MeanActivations;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.ProgressBar;
import dev.loupe.model.format.JsonLines;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code loupe means}: mean activations at hooks over a text dataset, for mean-ablation. */
final class MeansCommand implements Command {
    @Override
    public String name() {
        return "means";
    }

    @Override
    public String summary() {
        return "average activations at hooks over a dataset (for mean-ablation)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe means --model SRC --data FILE --hook PATTERN [--hook ...] --out MEANS.safetensors
                               [--max-docs N] [--max-tokens N]
            FILE is .jsonl (the "text" field of each line) or plain text (one document a line). Each document
            is tokenized as the model expects and cut to --max-tokens (default 128, at most n_ctx); the mean
            over every position of every document is written under each hook's name, which is where an
            intervention {"op": "mean"} looks by default ('loupe generate --tensors MEANS.safetensors').
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("data", "hook", "out", "max-docs", "max-tokens"), Set.of());
        if (args.all("hook").isEmpty()) throw new Args.UsageException(name() + ": --hook is required");
        Path data = Path.of(args.require("data")), out = Path.of(args.require("out"));
        int maxTokens = args.intOr("max-tokens", 128);
        LoadedModel m = ModelOptions.load(args);
        List<int[]> seqs = JsonLines.documents(data, "text", args.intOr("max-docs", Integer.MAX_VALUE)).stream()
                .map(t -> m.tokens(t))
                .map(ids -> ids.length > maxTokens ? Arrays.copyOf(ids, maxTokens) : ids)
                .toList();
        MeanActivations means = MeanActivations.compute(m.transformer(), seqs, args.all("hook"), new ProgressBar("means", "tok", 0, System.err));
        means.save(out, args.getOr("model", ModelOptions.DEFAULT_MODEL), data.getFileName() + " (max " + maxTokens + " tokens a document)");
        System.err.println("wrote means at " + means.means().size() + " hooks over " + means.tokens() + " tokens of " + means.sequences()
                + " documents to " + out);
        return 0;
    }
}
