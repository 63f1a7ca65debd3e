package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.analysis.LensResult;
import dev.loupe.interp.analysis.LogitLens;
import dev.loupe.interp.analysis.ResultFiles;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.model.tokenizer.TokenText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code loupe lens}: the logit lens, the model's prediction read from the residual stream after every block. */
final class LensCommand implements Command {
    @Override
    public String name() {
        return "lens";
    }

    @Override
    public String summary() {
        return "logit lens: what the residual stream predicts after each block";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe lens --model SRC --prompt TEXT [--target TOK] [--top-k K] [--out FILE]
            Applies the model's final norm and unembedding to the residual stream entering block 0 ('embed') and
            after every block ('L0', 'L1', ...), as if the model ended there. The last row is the model's output.
            Prints the top-1 token at every depth and position, the top K with probabilities at the last position,
            and with --target the target's probability and rank (0 = top) at every depth and position.
              --target TOK   a single token to follow: text that is one token, or id:N
              --top-k K      tokens kept per depth and position (default 5)
              --out FILE     save FILE.safetensors (top_ids, top_probs, target_prob, target_rank) and FILE.json
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("prompt", "target", "top-k", "out"), Set.of());
        LoadedModel m = ModelOptions.load(args);
        Tokenizer tok = m.requireTokenizer();
        int target = args.has("target") ? TokenArg.parse(name(), "target", tok, args.get("target")) : -1;
        int k = args.intOr("top-k", 5);
        int[] tokens = m.tokens(args.require("prompt"));
        LensResult r = LogitLens.run(m.transformer(), tokens, target, k);
        int depths = r.depths(), pos = tokens.length;
        k = r.topProbs().size(2);

        List<String> rows = new ArrayList<>();
        for (int d = 0; d < depths; d++) rows.add(r.depthLabel(d));
        List<String> cols = TokenArg.pieces(tok, tokens, 8);
        String[][] top1 = new String[depths][pos];
        for (int d = 0; d < depths; d++) for (int p = 0; p < pos; p++) top1[d][p] = TextGrid.piece(tok.tokenText(r.topIds()[d][p][0]), 8);
        System.out.println("top-1 prediction by depth (rows) and input position (columns: the token read there)");
        System.out.println(TextGrid.table(top1, rows, cols));

        System.out.printf("top %d at the last position ('%s')%n", k, cols.getLast());
        String[][] last = new String[depths][k];
        for (int d = 0; d < depths; d++) {
            for (int i = 0; i < k; i++) {
                last[d][i] = String.format("%s %.3f", TextGrid.piece(tok.tokenText(r.topIds()[d][pos - 1][i]), 10), r.topProbs().get(d, pos - 1, i));
            }
        }
        List<String> ranks = new ArrayList<>();
        for (int i = 0; i < k; i++) ranks.add("#" + (i + 1));
        System.out.println(TextGrid.table(last, rows, ranks));

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        float[] ids = new float[depths * pos * k];
        for (int d = 0; d < depths; d++) for (int p = 0; p < pos; p++) for (int i = 0; i < k; i++) ids[(d * pos + p) * k + i] = r.topIds()[d][p][i];
        tensors.put("top_probs", r.topProbs());
        ObjectNode json = ResultFiles.JSON.createObjectNode().put("analysis", "lens").put("model", m.source().toString()).put("top_k", k);
        json.putPOJO("depths", rows);
        json.putPOJO("tokens", tokens);
        json.putPOJO("top_ids", r.topIds());
        if (target >= 0) {
            Tensor rank = Tensor.zeros(depths, pos);
            for (int d = 0; d < depths; d++) for (int p = 0; p < pos; p++) rank.set(r.targetRank()[d][p], d, p);
            System.out.printf("probability of '%s' by depth and position%n", TokenText.visible(tok.tokenText(target)));
            System.out.println(TextGrid.table(r.targetProb(), rows, cols, "%.3f"));
            System.out.printf("rank of '%s' (0 = most likely)%n", TokenText.visible(tok.tokenText(target)));
            System.out.println(TextGrid.table(rank, rows, cols, "%.0f"));
            tensors.put("target_prob", r.targetProb());
            tensors.put("target_rank", rank);
            json.put("target", target);
            json.set("target_prob", ResultFiles.grid(r.targetProb()));
            json.putPOJO("target_rank", r.targetRank());
        }
        if (args.has("out")) {
            Path out = Path.of(args.get("out"));
            tensors.put("top_ids", Tensor.of(ids, depths, pos, k));
            Path[] written = ResultFiles.write(out, tensors, json);
            System.err.println("wrote " + written[0] + " and " + written[1] + " (top_ids stored as F32 ids)");
        }
        return 0;
    }
}
