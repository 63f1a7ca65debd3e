package dev.loupe.model.hooks;

/**
 * One hook point of one model: its name, kind, layer (-1 for model-level points), its place in
 * forward order, and its shape with the model's sizes filled in. {@code site} is null for points of a module
 * attached to the model (see {@link HookIndex#withAttached}).
 */
public record HookSpec(String name, Site site, int layer, int index, String shape) {
    @Override
    public String toString() {
        return name + " " + shape;
    }
}
