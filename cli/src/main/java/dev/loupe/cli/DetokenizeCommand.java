package dev.loupe.cli;

import dev.loupe.model.tokenizer.Tokenizer;
import java.util.Set;

/** {@code loupe detokenize}: token ids back to text, the inverse of {@code loupe tokenize}. */
final class DetokenizeCommand implements Command {
    @Override
    public String name() {
        return "detokenize";
    }

    @Override
    public String summary() {
        return "print the text of comma-separated token ids";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe detokenize [--model SRC] [--tokenizer FILE] --ids 1,2,3
            Prints the decoded text of the ids (special tokens such as BOS produce no text).
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("ids"), Set.of());
        int[] ids = RunCommand.parseIds(args.require("ids"));
        Tokenizer tok = ModelOptions.load(args).requireTokenizer();
        for (int id : ids) {
            if (id < 0 || id >= tok.vocabSize()) throw new Args.UsageException(name() + ": id " + id + " is outside the vocabulary [0, " + tok.vocabSize() + ")");
        }
        System.out.println(tok.decode(ids));
        System.out.flush();
        return 0;
    }
}
