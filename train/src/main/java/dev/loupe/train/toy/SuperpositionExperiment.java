package dev.loupe.train.toy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The sparsity sweep of "Toy Models of Superposition" (one ReLU toy model per sparsity, importance decaying
 * geometrically) plus the n = 2, m = 1 phase diagram, written to a folder as {@code superposition.png},
 * {@code phase-diagram.png} and {@code results.json}.
 */
public final class SuperpositionExperiment {
    private SuperpositionExperiment() {}

    /** Sweep settings; {@code phaseSize} cells per side of the phase diagram (0 skips it). */
    public record Options(int features, int hidden, double[] sparsities, double importanceDecay, ReluToyModel.Settings training,
                          int phaseSize, Path out) {}

    /** Trains the sweep (in parallel over sparsities) and writes the figures; returns the models in sweep order. */
    public static List<ReluToyModel> run(Options o, PrintStream log) throws IOException {
        Files.createDirectories(o.out());
        float[] importance = ReluToyModel.geometricImportance(o.features(), o.importanceDecay());
        ReluToyModel[] models = new ReluToyModel[o.sparsities().length];
        java.util.stream.IntStream.range(0, models.length).parallel()
                .forEach(i -> models[i] = ReluToyModel.train(o.features(), o.hidden(), o.sparsities()[i], importance, o.training()));
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("features", o.features()).put("hidden", o.hidden()).put("importance_decay", o.importanceDecay());
        ArrayNode sweep = json.putArray("sweep");
        List<String> titles = new ArrayList<>();
        for (int i = 0; i < models.length; i++) {
            ReluToyModel m = models[i];
            ObjectNode e = sweep.addObject();
            e.put("sparsity", o.sparsities()[i]).put("loss", m.loss()).put("represented", m.represented(0.5));
            ArrayNode norms = e.putArray("feature_norms"), sup = e.putArray("superposition");
            for (int f = 0; f < o.features(); f++) {
                norms.add(m.norm(f));
                sup.add(m.superposition(f));
            }
            titles.add(String.format("1-S=%.3g", 1 - o.sparsities()[i]));
            log.printf("sparsity %.3f: %d of %d features represented (||W_i|| > 0.5) in %d dimensions, loss %.4g%n",
                    o.sparsities()[i], m.represented(0.5), o.features(), o.hidden(), m.loss());
        }
        ToyPlots.superposition(List.of(models), titles, o.out().resolve("superposition.png"));
        if (o.phaseSize() > 0) {
            PhaseDiagram d = PhaseDiagram.compute(o.phaseSize(), 0.01, o.training(), 3);
            ToyPlots.phaseDiagram(d, o.out().resolve("phase-diagram.png"));
            ObjectNode pd = json.putObject("phase_diagram");
            ArrayNode dens = pd.putArray("densities"), imps = pd.putArray("relative_importances"), rows = pd.putArray("phases");
            for (double v : d.densities()) dens.add(v);
            for (double v : d.importances()) imps.add(v);
            for (PhaseDiagram.Phase[] row : d.phases()) {
                ArrayNode r = rows.addArray();
                for (PhaseDiagram.Phase p : row) r.add(p.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        Json.write(o.out().resolve("results.json"), json);
        log.println("wrote superposition.png" + (o.phaseSize() > 0 ? ", phase-diagram.png" : "") + " and results.json to " + o.out());
        return List.of(models);
    }
}
