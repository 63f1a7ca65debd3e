package dev.loupe.train.toy;

/**
 * The n = 2, m = 1 phase diagram of "Toy Models of Superposition": for each feature density (1 - sparsity)
 * and relative importance of the second ("extra") feature, whether the trained model leaves it out, gives it
 * the one hidden dimension to itself, or packs both features into that dimension in superposition.
 */
public record PhaseDiagram(double[] densities, double[] importances, Phase[][] phases) {

    /** What the model does with the extra feature. */
    public enum Phase { NOT_REPRESENTED, DEDICATED, SUPERPOSITION }

    /** Feature densities from 1 down to {@code minDensity} and importances from 0.1 to 10, both log-spaced. */
    public static PhaseDiagram compute(int size, double minDensity, ReluToyModel.Settings s, int restarts) {
        double[] densities = new double[size], importances = new double[size];
        for (int i = 0; i < size; i++) {
            densities[i] = Math.pow(minDensity, i / (double) (size - 1));
            importances[i] = Math.pow(10, -1 + 2 * i / (double) (size - 1));
        }
        Phase[][] phases = new Phase[size][size];
        java.util.stream.IntStream.range(0, size * size).parallel().forEach(cell -> {
            int d = cell / size, r = cell % size;
            phases[d][r] = classify(best(1 - densities[d], importances[r], s, restarts));
        });
        return new PhaseDiagram(densities, importances, phases);
    }

    /** The lowest-loss model of {@code restarts} seeds, as the paper keeps the best of several runs. */
    static ReluToyModel best(double sparsity, double importance, ReluToyModel.Settings s, int restarts) {
        ReluToyModel best = null;
        for (int k = 0; k < restarts; k++) {
            var seeded = new ReluToyModel.Settings(s.steps(), s.batch(), s.lr(), s.seed() * 1000 + k);
            ReluToyModel m = ReluToyModel.train(2, 1, sparsity, new float[] {1f, (float) importance}, seeded);
            if (best == null || m.loss() < best.loss()) best = m;
        }
        return best;
    }

    /** Feature 1 is the extra one: absent below norm 0.5; dedicated if feature 0 is then absent; otherwise sharing. */
    public static Phase classify(ReluToyModel m) {
        if (m.norm(1) < 0.5) return Phase.NOT_REPRESENTED;
        return m.norm(0) < 0.5 ? Phase.DEDICATED : Phase.SUPERPOSITION;
    }
}
