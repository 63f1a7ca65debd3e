package dev.loupe.core;

/** Sees the gradient of a tensor during a backward pass; returns it, or a replacement of the same shape. */
@FunctionalInterface
public interface GradHook {
    Tensor apply(Tensor grad);
}
