package dev.loupe.model.hooks;

import dev.loupe.core.Tensor;

/**
 * A function run at a hook point. It may look (return the activation itself, or null) or replace the
 * activation with a new tensor of the same shape. It never writes into the tensor it is given: other
 * hooks and caches may hold it.
 */
@FunctionalInterface
public interface HookFn {
    Tensor apply(Tensor activation, HookContext context);
}
