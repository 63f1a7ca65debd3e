package dev.loupe.cli;

import dev.loupe.model.LoadedModel;
import dev.loupe.model.generate.Generator;
import dev.loupe.model.generate.Sampling;
import dev.loupe.model.tokenizer.TokenText;
import dev.loupe.model.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

/** {@code loupe generate}: continues a prompt, printing only the continuation as it is produced. */
final class GenerateCommand implements Command {
    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "continue a prompt (greedy or sampled), streaming the text";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe generate --model SRC [--tokenizer FILE] --prompt TEXT --max-tokens N
                                  [--temperature T] [--top-k K] [--top-p P] [--seed S]
                                  [--steer VEC.safetensors[:SCALE] ...] [--interventions SPEC.json] [--tensors FILE ...]
                                  [--transcoders DIR]
            Prints only the generated continuation on stdout. --prompt "" starts from BOS alone.
            Stops at the tokenizer's EOS, after N tokens, or when the model's context is full, and says
            which on stderr. Temperature 0 (the default) is greedy.
            """ + InterventionOptions.USAGE + "\n" + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("prompt", "max-tokens", "temperature", "top-k", "top-p", "seed", "steer", "interventions", "tensors", "transcoders"), Set.of());
        String prompt = args.require("prompt");
        int maxTokens = args.intOr("max-tokens", 0);
        if (maxTokens <= 0) throw new Args.UsageException(name() + ": --max-tokens must be a positive integer");
        Sampling sampling = new Sampling(args.doubleOr("temperature", 0), args.intOr("top-k", 0), args.doubleOr("top-p", 1),
                args.intOr("seed", 0));
        LoadedModel m = ModelOptions.load(args);
        Tokenizer tok = m.requireTokenizer();
        int[] promptIds = m.tokens(prompt);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        StreamingText text = new StreamingText(tok, promptIds, out);
        int produced = new Generator(m.transformer()).generate(new int[][] {promptIds}, maxTokens, sampling, tok.eosId(),
                InterventionOptions.hooks(args, m, promptIds), (row, token) -> text.add(token))[0].length;
        out.println();
        out.flush();
        System.err.println("(" + stopReason(produced, maxTokens, promptIds.length, m.transformer().config().nCtx(), tok) + ")");
        return 0;
    }

    /** Why a generation of {@code produced} tokens ended: the end-of-text token, --max-tokens, or a full context. */
    static String stopReason(int produced, int maxTokens, int promptLength, int nCtx, Tokenizer tok) {
        int room = Math.min(maxTokens, nCtx - promptLength);
        if (produced < room) {
            String eos = TokenText.visible(tok.tokenText(tok.eosId().orElseThrow()));
            return "stopped at the end-of-text token " + eos + " after " + produced + " tokens";
        }
        if (room < maxTokens) return "stopped after " + produced + " tokens: the model's context of " + nCtx + " tokens is full";
        return "stopped after " + produced + " tokens (--max-tokens)";
    }

    /** Prints the text a growing id sequence adds, decoding the whole sequence each time so bytes join correctly. */
    private static final class StreamingText {
        private final Tokenizer tok;
        private final PrintStream out;
        private int[] ids;
        private final int promptChars;
        private int printed;

        StreamingText(Tokenizer tok, int[] prompt, PrintStream out) {
            this.tok = tok;
            this.out = out;
            this.ids = prompt;
            this.promptChars = tok.decode(prompt).length();
            this.printed = promptChars;
        }

        void add(int token) {
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = token;
            String all = tok.decode(ids);
            if (all.length() > printed) {
                out.print(all.substring(Math.max(printed, promptChars)));
                out.flush();
                printed = all.length();
            }
        }
    }
}
