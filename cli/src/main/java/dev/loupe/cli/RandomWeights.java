package dev.loupe.cli;

import dev.loupe.core.Parallel;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensorsWriter;
import java.util.SplittableRandom;

/**
 * Random tensors for benchmark checkpoints, added to a {@link SafeTensorsWriter} as deferred suppliers so a
 * model of any size is written holding one tensor at a time. Values are mean + N(0, std); each tensor (and
 * each 1M-element chunk of it, filled in parallel) has its own seeded stream, so a seed always gives the same file.
 */
record RandomWeights(SafeTensorsWriter writer, DType dtype, long seed, float std) {
    private static final int CHUNK = 1 << 20;

    /** Adds {@code name} of {@code shape} with values mean + N(0, std). */
    void normal(String name, float mean, int... shape) {
        long stream = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        writer.add(name, dtype, shape, () -> {
            Tensor t = Tensor.zeros(shape);
            float[] v = t.data();
            int chunks = (v.length + CHUNK - 1) / CHUNK;
            Parallel.forRange(chunks, 1, (c0, c1) -> {
                for (int c = c0; c < c1; c++) {
                    SplittableRandom rng = new SplittableRandom(stream + 0x632BE59BD9B4E019L * c);
                    for (int i = c * CHUNK, end = Math.min(v.length, i + CHUNK); i < end; i++) v[i] = mean + std * (float) rng.nextGaussian();
                }
            });
            return t;
        });
    }
}
