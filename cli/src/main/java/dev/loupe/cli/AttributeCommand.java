package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.circuits.Attribution;
import dev.loupe.circuits.AttributionGraph;
import dev.loupe.circuits.AttributionOptions;
import dev.loupe.circuits.GraphFiles;
import dev.loupe.circuits.GraphPruning;
import dev.loupe.circuits.GraphScores;
import dev.loupe.circuits.MemoryPlan;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.tokenizer.Tokenizer;
import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.Transcoders;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.IntFunction;

/** {@code loupe attribute}: an attribution graph of one prompt through a transcoder replacement model (circuit-tracer's method). */
final class AttributeCommand implements Command {
    @Override
    public String name() {
        return "attribute";
    }

    @Override
    public String summary() {
        return "attribution graph of a prompt through transcoders (circuit-tracer format)";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe attribute --model SRC --transcoders DIR (--prompt TEXT | --ids 1,2,3) --out DIR
                                   [--max-n-logits 10] [--desired-logit-prob 0.95] [--node-threshold 0.8]
                                   [--edge-threshold 0.98] [--max-feature-nodes N] [--max-memory BYTES] [--batch-size B]
                                   [--adjacency dense|rows]
                   loupe attribute --model SRC --transcoders DIR (--prompt TEXT | --ids 1,2,3) --qk LAYER.HEAD@QPOS,KPOS
                                   [--top 10] [--out DIR]
            Replaces every MLP by its transcoder, freezes attention patterns and norm scales on the prompt, and computes
            the direct effect of every active feature, MLP error, token embedding on every feature and on the top logits
            (circuit-tracer's attribution graph), with batched reverse passes through the linear replacement model.
              --transcoders DIR        a circuit-tracer transcoder folder (config.yaml + per-layer or CLT safetensors)
              --prompt TEXT            text (BOS prepended when the tokenizer has one); or --ids, used as given
              --max-n-logits N         at most N logit targets (default 10)
              --desired-logit-prob P   logit targets until their cumulative probability reaches P (default 0.95)
              --node-threshold T       graph.json keeps the nodes carrying T of the influence (default 0.8)
              --edge-threshold T       ... and the edges carrying T of the edge influence (default 0.98)
              --max-feature-nodes N    visit at most N features, most influential first (default: all)
              --max-memory BYTES       memory the graph may use beyond the weights (suffixes k, m, g): sets the batch size, or
                                       refuses the prompt up front with the estimate (frozen forward, rows, adjacency)
              --batch-size B           targets per backward pass (default 32; the most, under --max-memory)
              --out DIR                writes DIR/graph.safetensors (unpruned) and DIR/graph.json (pruned, front-end schema)
              --adjacency rows         graph.safetensors holds only the adjacency's nonzero rows (adjacency_rows [N+T, n],
                                       adjacency_row_nodes) instead of the dense adjacency_matrix [n, n] (default dense:
                                       4·n² bytes on disk, n ≈ (layers + 1) · tokens; 45 GB at 8,192 tokens of GPT-2 small)
              --slug NAME              the graph's name in graph.json (default: the --out folder's name)
              --qk L.H@Q,K             QK attribution instead of a graph: head H of layer L, its score from query position Q
                                       to key position K split over (query-side node × key-side node) pairs through the
                                       frozen norms, q/k norms and rotary; prints the top pairs, --out DIR writes DIR/qk.json
              --top N                  pairs and sources listed with --qk (default 10)
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("transcoders", "prompt", "ids", "out", "max-n-logits", "desired-logit-prob",
                "node-threshold", "edge-threshold", "max-feature-nodes", "max-memory", "batch-size", "slug", "qk", "top", "adjacency"), Set.of());
        if (args.has("prompt") == args.has("ids")) throw new Args.UsageException(name() + ": give exactly one of --prompt and --ids");
        QkOption qk = args.has("qk") ? QkOption.parse(args.get("qk")) : null;
        Path out = qk != null && !args.has("out") ? null : Path.of(args.require("out"));
        Transcoders tc = CircuitTracerFormat.read(Path.of(args.require("transcoders")));
        LoadedModel m = ModelOptions.load(args);
        int[] ids = args.has("ids") ? RunCommand.parseIds(args.get("ids")) : Attribution.withBos(m.requireTokenizer().bosId(), m.tokens(args.get("prompt")));
        if (qk != null) return qk.run(m, tc, ids, args.intOr("top", 10), args.intOr("batch-size", 32), m.tokenizer() == null ? Integer::toString : m.tokenizer()::tokenText, out);
        double nodeThreshold = args.doubleOr("node-threshold", 0.8), edgeThreshold = args.doubleOr("edge-threshold", 0.98);
        AttributionOptions opt = AttributionOptions.DEFAULTS
                .withLogits(args.intOr("max-n-logits", 10), args.doubleOr("desired-logit-prob", 0.95))
                .withMaxFeatureNodes(args.intOr("max-feature-nodes", Integer.MAX_VALUE));
        if (args.has("batch-size")) opt = opt.withBatchSize(args.intOr("batch-size", 32));
        if (args.has("max-memory")) opt = opt.withMaxMemory(parseBytes(args.get("max-memory")));

        String adjacency = args.getOr("adjacency", "dense");
        if (!adjacency.equals("dense") && !adjacency.equals("rows")) throw new Args.UsageException(name() + ": --adjacency must be dense or rows, got " + adjacency);
        long t0 = System.nanoTime();
        AttributionGraph g = Attribution.graph(m.transformer(), tc, ids, opt);
        double seconds = (System.nanoTime() - t0) / 1e9;
        GraphPruning pruning = GraphPruning.of(g, nodeThreshold, edgeThreshold);
        GraphScores scores = GraphScores.of(g);
        Tokenizer tok = m.tokenizer();
        IntFunction<String> text = tok == null ? Integer::toString : tok::tokenText;
        String prompt = args.has("prompt") ? args.get("prompt") : (tok == null ? args.get("ids") : tok.decode(ids));
        ObjectNode json = GraphFiles.json(g, pruning, scores, args.getOr("slug", out.getFileName().toString()), prompt, text, nodeThreshold, edgeThreshold);
        GraphFiles.write(out, g, json, adjacency.equals("rows"));

        int keptNodes = 0, keptEdges = 0;
        for (boolean b : pruning.nodeMask()) if (b) keptNodes++;
        keptEdges = json.get("links").size();
        int batch = Attribution.batchSize(m.transformer().config(), tc, ids.length, g.activeFeature().length, opt);
        System.out.printf("%d tokens, %d active features, %d feature nodes, %d logit targets; %d nodes in all (batch %d)%n", ids.length,
                g.activeFeature().length, g.featureNodes(), g.logitTargets().length, g.nodes(), batch);
        for (int j = 0; j < g.logitTargets().length; j++) {
            System.out.printf("  logit %-16s p=%.4f%n", "'" + TextGrid.piece(text.apply(g.logitTargets()[j]), 14) + "'", g.logitProbabilities()[j]);
        }
        System.out.printf("replacement score %.4f, completeness score %.4f%n", scores.replacement(), scores.completeness());
        System.out.printf("pruned (node %.2f, edge %.2f): %d nodes, %d links in graph.json%n", nodeThreshold, edgeThreshold, keptNodes, keptEdges);
        PeakMemory mem = PeakMemory.now();
        System.out.printf("graph built in %.2f s; peak heap %.0f MiB, peak RSS %.0f MiB; planned at most %s%n", seconds, mem.heapMiB(), mem.rssMiB(),
                MemoryPlan.of(m.transformer().config(), ids.length, g.activeFeature().length, MemoryPlan.widest(tc), opt.maxFeatureNodes(), g.logitTargets().length, batch));
        System.err.println("wrote " + out.resolve(GraphFiles.TENSORS) + " and " + out.resolve(GraphFiles.JSON_FILE));
        return 0;
    }

    /** 16g, 512m, 100k or plain bytes. */
    static long parseBytes(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        long mult = 1;
        if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
        switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> mult = 1L << 10;
            case 'm' -> mult = 1L << 20;
            case 'g' -> mult = 1L << 30;
            default -> mult = 1;
        }
        if (mult > 1) t = t.substring(0, t.length() - 1);
        try {
            return Math.round(Double.parseDouble(t) * mult);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("attribute: --max-memory expects bytes with an optional k/m/g suffix, got '" + s + "'");
        }
    }
}
