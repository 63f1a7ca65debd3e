package dev.loupe.interp.intervene;

/**
 * One intervention: at every hook point {@code hook} selects (an exact name or a glob such as
 * {@code blocks.*.hook_resid_post}), apply {@code op} to the slices {@code scope} selects.
 */
public record Intervention(String hook, Operation op, Scope scope) {}
