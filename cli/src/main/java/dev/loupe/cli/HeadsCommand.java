package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.analysis.HeadAblation;
import dev.loupe.interp.analysis.HeadDetection;
import dev.loupe.interp.analysis.HeadDetector;
import dev.loupe.interp.analysis.ResultFiles;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code loupe heads}: previous-token, duplicate-token and induction scores for every attention head. */
final class HeadsCommand implements Command {
    /** Plain English prose for the previous-token detector when no --text is given. */
    static final String DEFAULT_TEXT = "Once upon a time, a little girl lived in a small house near the woods. Every morning she walked "
            + "to the river with her dog to look at the fish. One day the water was very high, and the dog did not want to go. "
            + "The girl sat down on a rock and sang a song until the sun came out again.";

    @Override
    public String name() {
        return "heads";
    }

    @Override
    public String summary() {
        return "score every attention head as previous-token, duplicate-token or induction head";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe heads --model SRC [--detector previous|duplicate|induction|all] [--seq-len N] [--samples N] [--seed S]
                               [--text TEXT | --text-file FILE] [--out FILE]
            Scores each attention head (layer.head) by its average attention on the keys a head of that kind attends to:
              previous   the token just before (key i-1), on natural text (--text, --text-file, or a built-in paragraph)
              duplicate  earlier occurrences of the same token, on repeated random sequences
              induction  the token after an earlier occurrence of the same token (i-n+1 in [BOS, r1..rn, r1..rn]),
                         on repeated random sequences
            A score near 1 means the head puts nearly all its attention there. Random sequences: --samples rows of
            --seq-len N tokens drawn uniformly (seed --seed, excluding BOS/EOS), each repeated once, BOS first when the
            tokenizer has one. Defaults: --detector all --seq-len 20 --samples 16 --seed 0.
              --out FILE   save FILE.safetensors (one [n_layers, n_heads] grid per detector) and FILE.json
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("detector", "seq-len", "samples", "seed", "text", "text-file", "out"), Set.of());
        String which = args.getOr("detector", "all");
        List<HeadDetector> detectors = new ArrayList<>();
        for (HeadDetector d : HeadDetector.values()) if (which.equals("all") || which.equals(d.name().toLowerCase(Locale.ROOT))) detectors.add(d);
        if (detectors.isEmpty()) throw new Args.UsageException(name() + ": --detector is previous, duplicate, induction or all, got '" + which + "'");
        if (args.has("text") && args.has("text-file")) throw new Args.UsageException(name() + ": give at most one of --text and --text-file");
        int n = args.intOr("seq-len", 20), samples = args.intOr("samples", 16);
        long seed = args.intOr("seed", 0);
        LoadedModel m = ModelOptions.load(args);
        Tokenizer tok = m.requireTokenizer();
        HookedTransformer model = m.transformer();
        String text = args.has("text-file") ? Files.readString(Path.of(args.get("text-file"))) : args.getOr("text", DEFAULT_TEXT);
        int[][] natural = {m.tokens(text)};
        List<Integer> exclude = new ArrayList<>();
        tok.bosId().ifPresent(exclude::add);
        tok.eosId().ifPresent(exclude::add);
        int[][] repeated = HeadDetection.repeatedRandom(model.config().dVocab(), n, samples, seed, tok.bosId(),
                exclude.stream().mapToInt(Integer::intValue).toArray());

        List<String> rows = new ArrayList<>(), cols = new ArrayList<>();
        for (int l = 0; l < model.config().nLayers(); l++) rows.add("L" + l);
        for (int h = 0; h < model.config().nHeads(); h++) cols.add("H" + h);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ObjectNode json = ResultFiles.JSON.createObjectNode().put("analysis", "heads").put("model", m.source().toString())
                .put("seq_len", n).put("samples", samples).put("seed", seed).put("natural_tokens", natural[0].length);
        for (HeadDetector d : detectors) {
            String key = d.name().toLowerCase(Locale.ROOT);
            Tensor scores = HeadDetection.scores(model, d == HeadDetector.PREVIOUS ? natural : repeated, d);
            System.out.printf("%s scores (%s)%n", d == HeadDetector.INDUCTION ? key : key + "-token", d == HeadDetector.PREVIOUS
                    ? "natural text, " + natural[0].length + " tokens" : samples + " repeated random sequences of " + n);
            System.out.println(TextGrid.table(scores, rows, cols, "%.2f"));
            List<HeadAblation.Head> top = HeadAblation.top(scores, Math.min(3, scores.numel()));
            StringBuilder sb = new StringBuilder("top heads:");
            for (HeadAblation.Head h : top) sb.append(String.format("  %s (%.2f)", h, scores.get(h.layer(), h.head())));
            System.out.println(sb.append(String.format("   median %.2f%n", HeadDetection.median(scores))));
            tensors.put(key, scores);
            json.putObject(key).set("scores", ResultFiles.grid(scores));
        }
        if (args.has("out")) {
            Path[] written = ResultFiles.write(Path.of(args.get("out")), tensors, json);
            System.err.println("wrote " + written[0] + " and " + written[1]);
        }
        return 0;
    }
}
