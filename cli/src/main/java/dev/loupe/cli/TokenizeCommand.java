package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.tokenizer.TokenText;
import dev.loupe.model.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code loupe tokenize}: text to token ids, as the model will see them, optionally with each token's text. */
final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "print the token ids of a text (--strings: with each token's text)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe tokenize [--model SRC] [--tokenizer FILE] --text TEXT [--no-bos] [--strings]
            Prints the ids the model sees for TEXT, comma-separated (with BOS first for Llama-style
            tokenizers, as 'loupe run --prompt' does); --no-bos prints the bare encoding.
              --strings   one token a line instead: position, id and the token's text, with '·' for a
                          space and '↵' for a newline
            'loupe detokenize --ids ...' turns ids back into text.
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("text"), Set.of("no-bos", "strings"));
        String text = args.require("text");
        LoadedModel m = ModelOptions.load(args);
        Tokenizer tok = m.requireTokenizer();
        int[] ids = args.has("no-bos") ? tok.encode(text) : tok.encodeWithBos(text);
        if (!args.has("strings")) {
            System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        } else {
            int w = Integer.toString(tok.vocabSize() - 1).length();
            for (int i = 0; i < ids.length; i++) {
                System.out.printf("%4d  %" + w + "d  %s%n", i, ids[i], TokenText.visible(tok.tokenText(ids[i])));
            }
        }
        System.out.flush();
        return 0;
    }
}
