package dev.loupe.interp.intervene;

import java.util.List;

/** What an intervention does to the slices of an activation its scope selects. */
public sealed interface Operation {
    /** The op's name in the JSON spec. */
    String name();

    /** Op names, as written in specs. */
    List<String> NAMES = List.of("add", "set", "clamp", "zero", "mean", "resample", "project_out", "project_onto", "patch");

    /** x + scale · vector (steering). */
    record Add(TensorRef vector, float scale) implements Operation {
        public String name() {
            return "add";
        }
    }

    /** Replace with a constant: a scalar everywhere, or a vector at every selected slice. */
    record Set(TensorRef value) implements Operation {
        public String name() {
            return "set";
        }
    }

    /** Limit to [min, max]; an absent bound is infinite. */
    record Clamp(float min, float max) implements Operation {
        public String name() {
            return "clamp";
        }
    }

    /** Zero-ablation. */
    record Zero() implements Operation {
        public String name() {
            return "zero";
        }
    }

    /** Mean-ablation: replace with a mean activation computed over a dataset ({@link MeanActivations}). */
    record Mean(TensorRef means) implements Operation {
        public String name() {
            return "mean";
        }
    }

    /** Resample-ablation: replace with the activation the model produces on another input (ids or text). */
    record Resample(int[] ids, String text) implements Operation {
        public String name() {
            return "resample";
        }
    }

    /** Remove the component along a direction: x - (x·u)u with u the unit direction. */
    record ProjectOut(TensorRef direction) implements Operation {
        public String name() {
            return "project_out";
        }
    }

    /** Keep only the component along a direction: (x·u)u. */
    record ProjectOnto(TensorRef direction) implements Operation {
        public String name() {
            return "project_onto";
        }
    }

    /** Replace with the values of another run's cache at the same absolute positions. */
    record Patch(TensorRef source) implements Operation {
        public String name() {
            return "patch";
        }
    }
}
