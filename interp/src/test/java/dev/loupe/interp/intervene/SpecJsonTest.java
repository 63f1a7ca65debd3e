package dev.loupe.interp.intervene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The JSON form: every op round-trips, and malformed specs are rejected with the field at fault named. */
class SpecJsonTest {
    private static final String EVERY_OP = """
        {"version": 1, "interventions": [
          {"hook": "blocks.3.hook_resid_post", "op": "add", "vector": [1.0, -2.0], "scale": 4.0, "positions": [2, 5], "rows": [0]},
          {"hook": "blocks.1.hook_resid_mid", "op": "add", "vector": {"ref": "happy"}, "scale": -2.5, "positions": {"from": 3, "to": 9}},
          {"hook": "blocks.0.attn.hook_z", "op": "set", "value": 0.5, "heads": [1, 3]},
          {"hook": "blocks.0.hook_mlp_out", "op": "set", "value": [0.25, 0.75]},
          {"hook": "blocks.2.mlp.hook_post", "op": "clamp", "min": -1.0, "max": 2.0},
          {"hook": "blocks.2.mlp.hook_pre", "op": "clamp", "max": 3.0},
          {"hook": "blocks.*.attn.hook_pattern", "op": "zero", "heads": [0], "positions": {"from": 4}},
          {"hook": "blocks.1.attn.hook_z", "op": "mean", "heads": [2]},
          {"hook": "blocks.1.hook_resid_post", "op": "mean", "means": {"ref": "means.resid1"}},
          {"hook": "blocks.2.hook_resid_pre", "op": "resample", "input": {"ids": [1, 20, 30]}},
          {"hook": "blocks.2.hook_resid_pre", "op": "resample", "input": {"text": "The cat sat."}},
          {"hook": "blocks.3.hook_resid_post", "op": "project_out", "direction": {"ref": "sad"}},
          {"hook": "blocks.3.hook_resid_post", "op": "project_onto", "direction": [0.0, 1.0]},
          {"hook": "blocks.4.hook_resid_post", "op": "patch", "source": {"ref": "clean.blocks.4.hook_resid_post"}, "positions": "all"},
          {"hook": "blocks.4.attn.hook_v", "op": "patch", "heads": [3]}
        ]}
        """;

    @Test
    void everyOpRoundTrips() {
        InterventionSpec spec = InterventionSpec.parse(EVERY_OP);
        assertEquals(15, spec.interventions().size());
        assertEquals(Operation.NAMES.size(), spec.interventions().stream().map(i -> i.op().name()).distinct().count());
        String written = spec.toJson();
        assertEquals(written, InterventionSpec.parse(written).toJson());
        Operation.Add add = (Operation.Add) spec.interventions().get(0).op();
        assertEquals(4.0f, add.scale());
        assertTrue(spec.interventions().get(1).scope().positions().contains(8));
        assertTrue(!spec.interventions().get(1).scope().positions().contains(9));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"version\": 2, \"interventions\": []}|version: unsupported version 2",
        "{\"interventions\": []}|version: missing",
        "{\"version\": 1}|interventions: expected an array",
        "{\"version\": 1, \"interventions\": [], \"extra\": 1}|spec.extra: unknown field",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"zero\"}, {\"hook\": \"h\", \"op\": \"zero\"}, {\"hook\": \"h\", \"op\": \"add\", \"vector\": [1], \"scale\": \"big\"}]}|interventions[2].scale: expected a number",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"steer\"}]}|interventions[0].op: unknown op 'steer'; known: add, set, clamp, zero, mean, resample, project_out, project_onto, patch",
        "{\"version\": 1, \"interventions\": [{\"op\": \"zero\"}]}|interventions[0].hook: missing",
        "{\"version\": 1, \"interventions\": [{\"hook\": 3, \"op\": \"zero\"}]}|interventions[0].hook: expected a string",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"add\"}]}|interventions[0].vector: missing",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"add\", \"vector\": [1, \"x\"]}]}|interventions[0].vector[1]: expected a number",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"add\", \"vector\": 3}]}|interventions[0].vector: expected an array of numbers or {\"ref\": \"name\"}",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"zero\", \"scale\": 2}]}|interventions[0].scale: unknown field; allowed here: hook, op, positions, heads, rows",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"zero\", \"positions\": \"most\"}]}|interventions[0].positions: expected \"all\"",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"zero\", \"positions\": [1, -2]}]}|interventions[0].positions[1]: expected a non-negative integer",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"zero\", \"positions\": {\"from\": 5, \"to\": 2}}]}|interventions[0].positions: from 5 is after to 2",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"zero\", \"heads\": [0.5]}]}|interventions[0].heads[0]: expected a non-negative integer",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"clamp\"}]}|interventions[0]: clamp needs",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"clamp\", \"min\": 2, \"max\": 1}]}|interventions[0].min: min 2.0 is above max 1.0",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"resample\", \"input\": {\"ids\": [1], \"text\": \"a\"}}]}|interventions[0].input: give exactly one of",
        "{\"version\": 1, \"interventions\": [{\"hook\": \"h\", \"op\": \"patch\", \"source\": {\"name\": \"x\"}}]}|interventions[0].source.name: unknown field",
        "{\"version\": 1, \"interventions\": [3]}|interventions[0]: expected an object",
        "{\"version\": 1, \"interventions\": [}|spec: not valid JSON",
    })
    void malformedSpecsNameTheField(String json, String expected) {
        SpecException e = assertThrows(SpecException.class, () -> InterventionSpec.parse(json));
        assertTrue(e.getMessage().startsWith(expected), () -> "message: " + e.getMessage());
    }
}
