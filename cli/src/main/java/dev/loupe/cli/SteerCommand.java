package dev.loupe.cli;

import dev.loupe.interp.steer.ContrastPair;
import dev.loupe.interp.steer.SteeringBuilder;
import dev.loupe.interp.steer.SteeringVector;
import dev.loupe.model.LoadedModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/** {@code loupe steer build}: a steering vector from contrastive prompt pairs, saved as safetensors. */
final class SteerCommand implements Command {
    @Override
    public String name() {
        return "steer";
    }

    @Override
    public String summary() {
        return "build a steering vector from contrastive prompt pairs";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe steer build --model SRC --pairs FILE.jsonl --hook HOOK --out VEC.safetensors
                                     [--method mean-diff|pca] [--position last|mean] [--normalize none|unit]
            FILE.jsonl holds one {"positive": "...", "negative": "..."} a line. Each prompt is represented by
            its activation at HOOK at the last token (--position last, the default) or averaged over its
            tokens (mean). mean-diff (the default) averages positive minus negative; pca takes the first
            principal component of the differences (centered), signed to agree with the mean difference and
            scaled to its length along it. --normalize unit rescales the result to length 1.
            Apply it with 'loupe generate ... --steer VEC.safetensors:SCALE'.
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length == 0 || !argv[0].equals("build")) throw new Args.UsageException(name() + ": expected the subcommand 'build'");
        Args args = new Args(name() + " build", argv, 1, ModelOptions.with("pairs", "hook", "out", "method", "position", "normalize"), Set.of());
        SteeringBuilder.Recipe recipe = new SteeringBuilder.Recipe(args.require("hook"),
                choose(args, "method", "mean-diff", SteeringBuilder.Method.values(), m -> m.label),
                choose(args, "position", "last", SteeringBuilder.Position.values(), p -> p.label),
                choose(args, "normalize", "none", SteeringBuilder.Normalization.values(), n -> n.label));
        Path out = Path.of(args.require("out"));
        var pairs = ContrastPair.read(Path.of(args.require("pairs")));
        LoadedModel m = ModelOptions.load(args);
        SteeringVector v = SteeringBuilder.build(m.transformer(), m::tokens, args.require("model"), pairs, recipe);
        v.save(out);
        double norm = 0;
        for (float x : v.vector().data()) norm += x * x;
        System.err.printf("wrote a %s steering vector (%d pairs, length %.4g) at %s to %s%n", recipe.method().label, pairs.size(),
                Math.sqrt(norm), recipe.hook(), out);
        return 0;
    }

    private static <E> E choose(Args args, String option, String fallback, E[] values, java.util.function.Function<E, String> label) {
        String v = args.getOr(option, fallback);
        for (E e : values) if (label.apply(e).equals(v)) return e;
        throw new Args.UsageException("steer build: --" + option + " must be one of "
                + String.join(", ", Arrays.stream(values).map(label).toList()) + ", got '" + v + "'");
    }
}
