package dev.loupe.model.hooks;

import dev.loupe.core.Tensor;

/**
 * A function run on the gradient at a hook point during a backward pass: it may look (return the gradient
 * or null) or return a replacement of the same shape, which then flows on to earlier layers.
 */
@FunctionalInterface
public interface BackwardHookFn {
    Tensor apply(Tensor gradient, HookContext context);
}
