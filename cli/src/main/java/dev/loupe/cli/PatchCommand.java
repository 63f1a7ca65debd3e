package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.core.Tensor;
import dev.loupe.interp.analysis.ActivationPatching;
import dev.loupe.interp.analysis.AttributionPatching;
import dev.loupe.interp.analysis.LogitDifference;
import dev.loupe.interp.analysis.PatchingProblem;
import dev.loupe.interp.analysis.PatchingResult;
import dev.loupe.interp.analysis.PatchingRuns;
import dev.loupe.interp.analysis.ResultFiles;
import dev.loupe.interp.analysis.SweepKind;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.tokenizer.TokenText;
import dev.loupe.model.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code loupe patch}: activation patching and attribution patching sweeps between a clean and a corrupted prompt. */
final class PatchCommand implements Command {
    @Override
    public String name() {
        return "patch";
    }

    @Override
    public String summary() {
        return "activation / attribution patching: which layers, positions, heads carry a behaviour";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe patch --model SRC --clean TEXT --corrupted TEXT --answer TOK --wrong TOK
                               [--kind resid|heads] [--method exact|attribution|both] [--batch N] [--no-reuse] [--out FILE]
            Runs the corrupted prompt with one activation at a time copied in from the clean prompt, and reports
            how much of the clean behaviour each patch restores. The metric is the logit difference
            logit(answer) - logit(wrong) at the last position; the tables show it normalized,
            (patched - corrupted) / (clean - corrupted): 1 = patching this alone restores the clean answer, 0 = no effect.
              --clean, --corrupted  two prompts with the same number of tokens (check with 'loupe tokenize')
              --answer, --wrong     single tokens: text that is exactly one token (e.g. ' Mary' for GPT-2), or id:N
              --kind resid          patch blocks.{l}.hook_resid_pre at one position: a layer x position grid (default)
              --kind heads          patch one head's blocks.{l}.attn.hook_z at every position: a layer x head grid
              --method exact        one forward pass per cell (default)
              --method attribution  the gradient estimate (clean - corrupted) . d metric/d activation: two passes in all
              --method both         both, with their correlation
              --batch N             patched runs per forward pass (default 16)
              --no-reuse            recompute every run from the embeddings instead of starting at the patched
                                    layer from the cached corrupted residual (same numbers, slower; for timing)
              --out FILE            save FILE.safetensors (grids) and FILE.json (grids, labels, metrics, timing)
            Example:
              loupe patch --model gpt2 --clean "When Mary and John went to the store, John gave a drink to" \\
                --corrupted "When Mary and John went to the store, Mary gave a drink to" --answer " Mary" --wrong " John" --method both
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("clean", "corrupted", "answer", "wrong", "kind", "method", "batch", "out"), Set.of("no-reuse"));
        String kindName = args.getOr("kind", "resid"), method = args.getOr("method", "exact");
        SweepKind kind = switch (kindName) {
            case "resid" -> SweepKind.RESIDUAL;
            case "heads" -> SweepKind.HEADS;
            default -> throw new Args.UsageException(name() + ": --kind is resid or heads, got '" + kindName + "'");
        };
        if (!Set.of("exact", "attribution", "both").contains(method)) {
            throw new Args.UsageException(name() + ": --method is exact, attribution or both, got '" + method + "'");
        }
        int batch = args.intOr("batch", 16);
        LoadedModel m = ModelOptions.load(args);
        Tokenizer tok = m.requireTokenizer();
        int answer = TokenArg.parse(name(), "answer", tok, args.require("answer"));
        int wrong = TokenArg.parse(name(), "wrong", tok, args.require("wrong"));
        int[] clean = m.tokens(args.require("clean")), corrupted = m.tokens(args.require("corrupted"));
        if (clean.length != corrupted.length) {
            throw new Args.UsageException(name() + ": the prompts must have the same number of tokens: clean has " + clean.length + " "
                    + TokenArg.pieces(tok, clean, 12) + ", corrupted has " + corrupted.length + " " + TokenArg.pieces(tok, corrupted, 12));
        }
        HookedTransformer model = m.transformer();
        PatchingRuns runs = PatchingRuns.of(model, new PatchingProblem(clean, corrupted, new LogitDifference(answer, wrong)));
        System.out.printf("metric: logit('%s') - logit('%s') at the last position; clean %.4f, corrupted %.4f%n%n",
                TokenText.visible(tok.tokenText(answer)), TokenText.visible(tok.tokenText(wrong)), runs.cleanMetric(), runs.corruptedMetric());

        List<String> rows = new ArrayList<>();
        for (int l = 0; l < model.config().nLayers(); l++) rows.add("L" + l);
        List<String> cols = new ArrayList<>();
        if (kind == SweepKind.RESIDUAL) {
            for (int p = 0; p < clean.length; p++) {
                String c = TextGrid.piece(tok.tokenText(clean[p]), 8), k = TextGrid.piece(tok.tokenText(corrupted[p]), 8);
                cols.add(c.equals(k) ? c : c + "/" + k);
            }
        } else {
            for (int h = 0; h < model.config().nHeads(); h++) cols.add("H" + h);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ObjectNode json = ResultFiles.JSON.createObjectNode().put("analysis", "patch").put("kind", kindName).put("model", m.source().toString())
                .put("answer", answer).put("wrong", wrong).put("clean_metric", runs.cleanMetric()).put("corrupted_metric", runs.corruptedMetric());
        json.putPOJO("rows", rows);
        json.putPOJO("columns", cols);
        PatchingResult exact = null, attribution = null;
        if (!method.equals("attribution")) {
            boolean reuse = !args.has("no-reuse");
            long t0 = System.nanoTime();
            exact = ActivationPatching.sweep(model, runs, kind, reuse, batch);
            double secs = (System.nanoTime() - t0) / 1e9;
            int count = exact.layers() * exact.cells();
            System.out.printf("exact patching: %d runs in %.2f s (%.1f runs/s; batch %d, prefix %s)%n", count, secs, count / secs, batch,
                    reuse ? "reused" : "recomputed");
            json.putObject("timing").put("runs", count).put("seconds", secs).put("batch", batch).put("reuse_prefix", reuse);
            show(exact, rows, cols, tensors, json);
        }
        if (!method.equals("exact")) {
            long t0 = System.nanoTime();
            attribution = AttributionPatching.sweep(model, runs, kind);
            System.out.printf("attribution patching: one forward and one backward pass, %.2f s%n", (System.nanoTime() - t0) / 1e9);
            show(attribution, rows, cols, tensors, json);
        }
        if (exact != null && attribution != null) {
            double r = AttributionPatching.correlation(exact.patched(), attribution.patched());
            System.out.printf("correlation of attribution with exact patching: %.3f%n", r);
            json.put("correlation", r);
        }
        if (args.has("out")) {
            Path[] written = ResultFiles.write(Path.of(args.get("out")), tensors, json);
            System.err.println("wrote " + written[0] + " and " + written[1]);
        }
        return 0;
    }

    private static void show(PatchingResult r, List<String> rows, List<String> cols, Map<String, Tensor> tensors, ObjectNode json) {
        Tensor norm = r.normalized();
        System.out.printf("%s patching, normalized (rows: layer, columns: %s)%n", r.method(), r.kind().cellName());
        System.out.println(TextGrid.table(norm, rows, cols, "%.2f"));
        System.out.println(TextGrid.heatmap(norm, rows));
        tensors.put(r.method() + ".metric", r.patched());
        tensors.put(r.method() + ".normalized", norm);
        json.putObject(r.method()).set("normalized", ResultFiles.grid(norm));
    }
}
