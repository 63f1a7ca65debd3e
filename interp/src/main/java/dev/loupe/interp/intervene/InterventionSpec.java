package dev.loupe.interp.intervene;

import java.util.List;

/**
 * A list of interventions as data: versioned, JSON-serializable, applied in order at each hook point, plus
 * optional edits of transcoder features ({@link FeatureEdits}, applied where transcoders are loaded).
 * Parse with {@link #parse}, write with {@link #toJson}, run by compiling against a model
 * ({@link Interventions#compile}). The JSON form is documented in {@code docs/interventions.md}.
 */
public record InterventionSpec(int version, List<Intervention> interventions, FeatureEdits features) {
    /** The spec version this code reads and writes. */
    public static final int VERSION = 1;

    public InterventionSpec {
        interventions = List.copyOf(interventions);
        if (features == null) features = FeatureEdits.NONE;
    }

    public InterventionSpec(int version, List<Intervention> interventions) {
        this(version, interventions, FeatureEdits.NONE);
    }

    public static InterventionSpec of(Intervention... interventions) {
        return new InterventionSpec(VERSION, List.of(interventions));
    }

    /** Reads the JSON form; a malformed spec raises {@link SpecException} naming the field. */
    public static InterventionSpec parse(String json) {
        return SpecJson.read(json);
    }

    public String toJson() {
        return SpecJson.write(this);
    }
}
