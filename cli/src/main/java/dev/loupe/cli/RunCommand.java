package dev.loupe.cli;

import dev.loupe.core.Tensor;
import dev.loupe.model.GradientRun;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.hooks.ActivationCache;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/** {@code loupe run}: one forward pass, writing cached activations and logits to a safetensors file. */
final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run a forward pass and save activations at chosen hooks";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe run --model SRC (--prompt TEXT | --ids 1,2,3) [--cache PATTERN ...] [--grad loss] --out FILE.safetensors
            Writes every activation the --cache patterns select (exact hook names or globs such as
            'blocks.*.hook_resid_post'; repeatable) under its hook name, batch dimension of 1 kept,
            plus 'logits' [1, pos, d_vocab] and the input as 'input_ids' (int64).
            --grad loss also writes, for every cached hook and for logits, 'grad.{hook}': the gradient of
            the mean next-token cross-entropy over the input (positions 0..n-2 predicting 1..n-1), and the
            scalar 'loss' [1].
            --prompt is tokenized as the model expects (BOS first for Llama-style tokenizers).
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("prompt", "ids", "cache", "out", "grad"), Set.of());
        if (args.has("grad") && !args.get("grad").equals("loss")) {
            throw new Args.UsageException(name() + ": --grad supports 'loss' (mean next-token cross-entropy), got '" + args.get("grad") + "'");
        }
        if (args.has("prompt") == args.has("ids")) throw new Args.UsageException(name() + ": give exactly one of --prompt and --ids");
        Path out = Path.of(args.require("out"));
        LoadedModel m = ModelOptions.load(args);
        int[] ids = args.has("ids") ? parseIds(args.get("ids")) : m.tokens(args.get("prompt"));
        int[][] tokens = {ids};
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.metadata("model", m.source().toString());
        ActivationCache cache;
        if (args.has("grad")) {
            GradientRun run = GradientRun.ofLoss(m.transformer(), tokens, args.all("cache"));
            cache = run.activations();
            cache.asMap().forEach(w::add);
            w.add("logits", run.logits());
            run.gradients().forEach((hook, g) -> w.add("grad." + hook, g));
            w.add("loss", run.value());
        } else {
            cache = new ActivationCache();
            Tensor logits = m.transformer().runWithCache(tokens, args.all("cache"), cache);
            cache.asMap().forEach(w::add);
            w.add("logits", logits);
        }
        w.addLongs("input_ids", dev.loupe.model.format.DType.I64, Arrays.stream(ids).asLongStream().toArray(), 1, ids.length);
        w.write(out);
        System.err.println("wrote activations at " + cache.names().size() + " hooks for " + ids.length + " tokens to " + out);
        return 0;
    }

    static int[] parseIds(String s) {
        try {
            return Arrays.stream(s.split(",")).map(String::trim).filter(t -> !t.isEmpty()).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new Args.UsageException("run: --ids expects comma-separated integers, got '" + s + "'");
        }
    }
}
