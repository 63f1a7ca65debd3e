package dev.loupe.model.hooks;

/**
 * What a hook function knows about the activation it sees.
 *
 * @param hook the hook point
 * @param startPosition absolute position of index 0 along the activation's pos axis (0 for a plain
 *     forward; the cache length during generation decode steps)
 */
public record HookContext(HookSpec hook, int startPosition) {}
