package dev.loupe.cli;

import dev.loupe.circuits.FeatureInterventions;
import dev.loupe.interp.intervene.FeatureEdits;
import dev.loupe.interp.intervene.InterventionSpec;
import dev.loupe.interp.intervene.Interventions;
import dev.loupe.interp.intervene.TensorResolver;
import dev.loupe.interp.steer.SteeringVector;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code --steer}, {@code --interventions} and {@code --tensors} options: interventions applied during a run. */
final class InterventionOptions {
    static final String USAGE = """
              --steer VEC.safetensors[:SCALE]   add a steering vector (from 'loupe steer build') at its hook,
                                                 every position, times SCALE (default 1); repeatable
              --interventions SPEC.json          apply an intervention spec (docs/interventions.md)
              --tensors FILE.safetensors         tensors the spec names with {"ref": ...}; repeatable
              --transcoders DIR                  transcoders (circuit-tracer folder) for the spec's "features" edits""";

    private InterventionOptions() {}

    /**
     * The hooks the options ask for (none when no option is given) for a sequence starting with {@code prompt}; spec
     * interventions run before feature edits, then steering vectors. Feature edits here run live (generation), so a
     * spec that freezes attention or constrains layers is refused.
     */
    static Hooks hooks(Args args, LoadedModel m, int[] prompt) throws IOException {
        Hooks.Builder hooks = Hooks.builder(m.transformer().hooks());
        if (args.has("interventions")) {
            Path spec = Path.of(args.get("interventions"));
            List<WeightStore> stores = new ArrayList<>();
            try {
                for (String f : args.all("tensors")) stores.add(SafeTensors.open(Path.of(f)));
                InterventionSpec parsed = InterventionSpec.parse(Files.readString(spec));
                Interventions.compile(parsed, m.transformer(), TensorResolver.of(stores), m::tokens).addTo(hooks);
                FeatureEdits f = parsed.features();
                if (!f.isEmpty()) {
                    if (!args.has("transcoders")) throw new Args.UsageException("the spec edits transcoder features: give --transcoders DIR");
                    if (f.freezeAttention() || f.constrainedFrom() >= 0) {
                        throw new Args.UsageException("features.freeze_attention and features.constrained_layers hold for a forward over the prompt, not generation");
                    }
                    Transcoders tc = CircuitTracerFormat.read(Path.of(args.get("transcoders")));
                    FeatureInterventions.compile(m.transformer(), tc, f, prompt).addTo(hooks);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(spec + ": " + e.getMessage(), e);
            } finally {
                for (WeightStore s : stores) s.close();
            }
        } else if (args.has("tensors")) {
            throw new Args.UsageException("--tensors only serves --interventions, which is missing");
        }
        for (String s : args.all("steer")) Interventions.compile(steer(s, m), m.transformer(), TensorResolver.EMPTY, null).addTo(hooks);
        return hooks.build();
    }

    /** {@code FILE[:SCALE]}: the vector checked against the model, as a one-intervention spec. */
    private static InterventionSpec steer(String option, LoadedModel m) throws IOException {
        String file = option;
        float scale = 1f;
        int colon = option.lastIndexOf(':');
        if (colon > 0) {
            try {
                scale = Float.parseFloat(option.substring(colon + 1));
                file = option.substring(0, colon);
            } catch (NumberFormatException e) {
                // no scale suffix: the colon belongs to the path
            }
        }
        SteeringVector v = SteeringVector.load(Path.of(file));
        v.requireFits(m.transformer(), file);
        return InterventionSpec.of(v.intervention(scale));
    }
}
