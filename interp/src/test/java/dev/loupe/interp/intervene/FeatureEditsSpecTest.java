package dev.loupe.interp.intervene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.interp.intervene.FeatureEdits.FeatureEdit;
import org.junit.jupiter.api.Test;

/** The spec's {@code features} block: read, written, read back; mistakes name their field. */
class FeatureEditsSpecTest {
    @Test
    void roundTrips() {
        InterventionSpec spec = InterventionSpec.parse("""
                {"version": 1, "interventions": [],
                 "features": {"edits": [{"layer": 1, "position": 3, "feature": 12, "op": "set", "value": 4.0},
                                        {"layer": 0, "position": 5, "feature": 7, "op": "zero"},
                                        {"layer": 0, "position": 5, "feature": 9, "op": "scale", "value": 2.0}],
                              "freeze_attention": true, "constrained_layers": [0, 1]}}
                """);
        FeatureEdits f = spec.features();
        assertEquals(3, f.edits().size());
        assertEquals(new FeatureEdit(1, 3, 12, FeatureEdit.Kind.SET, 4f), f.edits().get(0));
        assertEquals(FeatureEdit.zero(0, 5, 7), f.edits().get(1));
        assertEquals(3f, f.edits().get(2).apply(1.5f));
        assertTrue(f.freezeAttention() && f.constrains(1) && !f.constrains(2));
        assertEquals(spec, InterventionSpec.parse(spec.toJson()));
        assertTrue(InterventionSpec.parse("{\"version\": 1, \"interventions\": []}").features().isEmpty());
    }

    @Test
    void mistakesNameTheirField() {
        SpecException e = assertThrows(SpecException.class, () -> InterventionSpec.parse(
                "{\"version\": 1, \"interventions\": [], \"features\": {\"edits\": [{\"layer\": 0, \"position\": 1, \"feature\": 2, \"op\": \"boost\"}]}}"));
        assertTrue(e.getMessage().contains("features.edits[0].op"), e.getMessage());
        e = assertThrows(SpecException.class, () -> InterventionSpec.parse(
                "{\"version\": 1, \"interventions\": [], \"features\": {\"edits\": [{\"layer\": 0, \"position\": 1, \"feature\": 2, \"op\": \"set\"}]}}"));
        assertTrue(e.getMessage().contains("features.edits[0].value"), e.getMessage());
        e = assertThrows(SpecException.class, () -> InterventionSpec.parse(
                "{\"version\": 1, \"interventions\": [], \"features\": {\"edits\": [], \"constrained_layers\": [3, 1]}}"));
        assertTrue(e.getMessage().contains("constrained_layers"), e.getMessage());
    }
}
