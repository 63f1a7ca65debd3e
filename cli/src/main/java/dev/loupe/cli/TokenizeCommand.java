package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code loupe tokenize}: text to token ids, as the model will see them. */
final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "print the token ids of a text, comma-separated";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe tokenize --model SRC [--tokenizer FILE] --text TEXT [--no-bos]
            Prints the ids the model sees for TEXT (with BOS first for Llama-style tokenizers,
            as 'loupe run --prompt' does); --no-bos prints the bare encoding.
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("text"), Set.of("no-bos"));
        String text = args.require("text");
        LoadedModel m = ModelOptions.load(args);
        int[] ids = args.has("no-bos") ? m.requireTokenizer().encode(text) : m.requireTokenizer().encodeWithBos(text);
        System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        return 0;
    }
}
