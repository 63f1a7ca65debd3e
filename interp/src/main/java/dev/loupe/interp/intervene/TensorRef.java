package dev.loupe.interp.intervene;

/**
 * A tensor an intervention uses: written inline in the spec, or named and looked up through a
 * {@link TensorResolver} when the spec is compiled (so a spec received over the network never reaches
 * the file system by itself).
 */
public sealed interface TensorRef {
    /** One number, broadcast to every element it replaces ({@code set} only). */
    record Scalar(float value) implements TensorRef {}

    /** A vector written out in the spec. */
    record Inline(float[] values) implements TensorRef {}

    /** A tensor the resolver holds under {@code name}. */
    record Named(String name) implements TensorRef {}
}
