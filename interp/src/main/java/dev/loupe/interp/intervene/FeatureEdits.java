package dev.loupe.interp.intervene;

import java.util.List;

/**
 * Interventions on transcoder features (circuit-tracer's feature interventions): each edit sets, scales or
 * zeroes one feature at one position, and the change (new − old activation) × the feature's decoder is added
 * to the MLP outputs it writes. Compiled against a model and its transcoders by the circuits module.
 *
 * @param freezeAttention attention patterns and every norm's scale held at their values without the edits, so
 *     effects travel only along the residual stream and through MLPs (no live attention; forward only)
 * @param constrainedFrom first layer (inclusive) whose MLP output is held at its original value plus the edits'
 *     direct changes, so features there do not respond to upstream edits; -1 for none
 * @param constrainedTo last constrained layer (inclusive); -1 for none
 */
public record FeatureEdits(List<FeatureEdit> edits, boolean freezeAttention, int constrainedFrom, int constrainedTo) {
    public static final FeatureEdits NONE = new FeatureEdits(List.of(), false, -1, -1);

    public FeatureEdits {
        edits = List.copyOf(edits);
        if ((constrainedFrom < 0) != (constrainedTo < 0) || constrainedFrom > constrainedTo) {
            throw new SpecException("features.constrained_layers", "expected [from, to] with 0 ≤ from ≤ to, got [" + constrainedFrom + ", " + constrainedTo + "]");
        }
    }

    public boolean isEmpty() {
        return edits.isEmpty();
    }

    public boolean constrains(int layer) {
        return constrainedFrom >= 0 && layer >= constrainedFrom && layer <= constrainedTo;
    }

    /** One feature edit. {@code value}: the new activation (set), the factor (scale); ignored for zero. */
    public record FeatureEdit(int layer, int position, int feature, Kind kind, float value) {
        public enum Kind { SET, SCALE, ZERO }

        /** The activation after the edit, given the one before. */
        public float apply(float activation) {
            return switch (kind) {
                case SET -> value;
                case SCALE -> activation * value;
                case ZERO -> 0f;
            };
        }

        public static FeatureEdit zero(int layer, int position, int feature) {
            return new FeatureEdit(layer, position, feature, Kind.ZERO, 0f);
        }
    }
}
