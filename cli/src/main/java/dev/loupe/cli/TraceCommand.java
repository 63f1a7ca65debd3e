package dev.loupe.cli;

import dev.loupe.interp.trace.TraceGraph;
import dev.loupe.interp.trace.TraceLimits;
import dev.loupe.interp.trace.TracePlan;
import dev.loupe.interp.trace.TraceRunner;
import dev.loupe.interp.trace.TraceValue;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.format.DType;
import dev.loupe.model.format.SafeTensorsWriter;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code loupe trace}: runs a trace graph (docs/trace.md) in process, as the server would, and writes its saved values. */
final class TraceCommand implements Command {
    @Override
    public String name() {
        return "trace";
    }

    @Override
    public String summary() {
        return "run a trace graph (docs/trace.md) and write the values it saves";
    }

    @Override
    public String usage() {
        return """
            Usage: loupe trace [--model SRC] --graph GRAPH.json --out FILE.safetensors
            Checks the graph against the model (shapes, ops, hooks, limits; errors name the node), runs it inside
            the forward (and backward) pass, and writes every saved value (int64 for indices and booleans).
            The Python client's trace(...).to_json() and the Java Trace builder write such graphs.
            """ + ModelOptions.USAGE;
    }

    @Override
    public int run(String[] argv) throws Exception {
        Args args = new Args(name(), argv, 0, ModelOptions.with("graph", "out"), Set.of());
        Path out = Path.of(args.require("out"));
        LoadedModel m = ModelOptions.load(args);
        TraceGraph g;
        try (InputStream in = Files.newInputStream(Path.of(args.require("graph")))) {
            g = TraceGraph.read(in, TraceLimits.DEFAULT.maxNodes());
        }
        g = g.tokenized((prompt, bos) -> bos ? m.tokens(prompt) : m.requireTokenizer().encode(prompt));
        TracePlan plan = TracePlan.validate(g, m.transformer(), Map.of(), handle -> null, TraceLimits.DEFAULT);
        TraceRunner.Result r = TraceRunner.run(m.transformer(), plan, System.nanoTime() + (long) (TraceLimits.DEFAULT.maxSeconds() * 1e9), TraceLimits.DEFAULT.maxBytes());
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.metadata("model", m.source().toString());
        for (var e : r.saved().entrySet()) {
            TraceValue v = e.getValue();
            if (v.dtype() == TraceValue.DType.FLOAT32) {
                w.add(e.getKey(), v.tensor());
            } else {
                long[] l = new long[v.tensor().numel()];
                for (int i = 0; i < l.length; i++) l[i] = (long) v.tensor().data()[i];
                w.addLongs(e.getKey(), DType.I64, l, v.tensor().shape());
            }
        }
        if (r.generated() != null) {
            int rows = r.generated().length, steps = r.generated()[0].length;
            long[] l = new long[rows * steps];
            for (int i = 0; i < rows; i++) for (int s = 0; s < steps; s++) l[i * steps + s] = r.generated()[i][s];
            w.addLongs("generated", DType.I64, l, rows, steps);
        }
        w.write(out);
        System.err.println("wrote " + r.saved().size() + " saved values to " + out);
        return 0;
    }
}
