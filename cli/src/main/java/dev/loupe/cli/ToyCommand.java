package dev.loupe.cli;

import dev.loupe.train.toy.ReluToyModel;
import dev.loupe.train.toy.SuperpositionExperiment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/** {@code loupe toy superposition}: the ReLU toy model of "Toy Models of Superposition", its sparsity sweep and phase diagram. */
final class ToyCommand implements Command {
    @Override
    public String name() {
        return "toy";
    }

    @Override
    public String summary() {
        return "toy models: superposition sweep and phase diagram (PNG)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe toy superposition [--features N] [--hidden M] [--sparsity S1,S2,...] [--importance-decay D]
                                           [--steps K] [--batch B] [--lr LR] [--seed S] [--phase-size P] --out DIR
            Trains x' = ReLU(WᵀW x + b) with N features (default 20) in M hidden dimensions (default 5), feature i of
            importance D^i (default 0.7), each feature 0 with probability S, one model per sparsity
            (default 0,0.7,0.9,0.97,0.99,0.997), with Adam (K steps of B samples, default 5000 x 1024, lr 1e-3).
            Writes DIR/superposition.png (WᵀW and feature norms, red = in superposition), DIR/phase-diagram.png
            (n=2, m=1: extra feature not represented / dedicated / in superposition over density × relative
            importance, P x P cells, default 12; 0 skips) and DIR/results.json.
            """;
    }

    @Override
    public int run(String[] argv) throws Exception {
        if (argv.length == 0 || !argv[0].equals("superposition")) {
            throw new Args.UsageException(name() + ": expected a toy model name: superposition");
        }
        Args a = new Args(name() + " superposition", argv, 1, Set.of("features", "hidden", "sparsity", "importance-decay", "steps",
                "batch", "lr", "seed", "phase-size", "out"), Set.of());
        double[] sparsities;
        try {
            sparsities = Arrays.stream(a.getOr("sparsity", "0,0.7,0.9,0.97,0.99,0.997").split(",")).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new Args.UsageException("toy superposition: --sparsity expects comma-separated numbers in [0, 1)");
        }
        var training = new ReluToyModel.Settings(a.intOr("steps", 5000), a.intOr("batch", 1024), a.doubleOr("lr", 1e-3), a.intOr("seed", 0));
        var o = new SuperpositionExperiment.Options(a.intOr("features", 20), a.intOr("hidden", 5), sparsities,
                a.doubleOr("importance-decay", 0.7), training, a.intOr("phase-size", 12), Path.of(a.require("out")));
        SuperpositionExperiment.run(o, System.err);
        return 0;
    }
}
