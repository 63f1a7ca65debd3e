package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.hooks.HookSpec;
import java.util.Set;

/** {@code loupe hooks}: the model's hook points in forward order, with shapes. */
final class HooksCommand implements Command {
    @Override
    public String name() {
        return "hooks";
    }

    @Override
    public String summary() {
        return "list the model's hook names in forward order, with shapes";
    }

    @Override
    public String usage() {
        return "Usage: loupe hooks --model SRC\n" + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.NAMES, Set.of());
        LoadedModel m = ModelOptions.load(args);
        int width = m.transformer().hooks().specs().stream().mapToInt(s -> s.name().length()).max().orElse(0);
        for (HookSpec s : m.transformer().hooks().specs()) System.out.printf("%-" + width + "s  %s%n", s.name(), s.shape());
        return 0;
    }
}
