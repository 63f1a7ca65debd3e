package dev.loupe.model.arch;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.format.Checkpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of supported architectures, by Hugging Face architecture name. */
public final class Architectures {
    private static final List<Architecture> ALL = List.of(new Gpt2(), new Llama(), new GptNeox(), new Bert(), new Gemma2(), new Gemma3(),
            new Qwen3());
    private static final Map<String, Architecture> BY_NAME = new LinkedHashMap<>();

    static {
        for (Architecture a : ALL) for (String n : a.names()) BY_NAME.put(n, a);
    }

    private Architectures() {}

    /** Builds the hooked transformer for a checkpoint; an unknown architecture is an error listing the known ones. */
    public static HookedTransformer build(Checkpoint ckpt) {
        String name = ckpt.config().architecture();
        Architecture a = BY_NAME.get(name);
        if (a == null) {
            throw new IllegalArgumentException(ckpt.source() + ": unknown architecture '" + name + "'; supported: " + supported());
        }
        return a.build(ckpt);
    }

    public static List<String> supported() {
        List<String> names = new ArrayList<>();
        for (String n : BY_NAME.keySet()) if (Character.isUpperCase(n.charAt(0))) names.add(n);
        return names;
    }
}
