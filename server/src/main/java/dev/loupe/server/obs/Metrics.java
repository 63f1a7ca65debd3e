package dev.loupe.server.obs;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.LongSupplier;

/**
 * The server's counters, gauges and histograms, rendered in the Prometheus text format at {@code /metrics}:
 * requests by route and status, latency, queue depth, batch sizes and tokens processed.
 */
public final class Metrics {
    private static final double[] SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    private static final double[] ROWS = {1, 2, 4, 8, 16, 32, 64};

    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Histogram batchRows = new Histogram(ROWS);
    private final Histogram queueWait = new Histogram(SECONDS);
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong generated = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private volatile LongSupplier queueDepth = () -> 0;
    private final long started = System.nanoTime();

    /** A cumulative histogram with fixed bucket bounds. */
    public static final class Histogram {
        private final double[] bounds;
        private final AtomicLongArray counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final AtomicLong count = new AtomicLong();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLongArray(bounds.length);
        }

        public void observe(double v) {
            for (int i = 0; i < bounds.length; i++) if (v <= bounds[i]) counts.incrementAndGet(i);
            sum.add(v);
            count.incrementAndGet();
        }

        void render(StringBuilder sb, String name, String labels) {
            String sep = labels.isEmpty() ? "" : labels + ",";
            for (int i = 0; i < bounds.length; i++) {
                sb.append(name).append("_bucket{").append(sep).append("le=\"").append(num(bounds[i])).append("\"} ").append(counts.get(i)).append('\n');
            }
            sb.append(name).append("_bucket{").append(sep).append("le=\"+Inf\"} ").append(count.get()).append('\n');
            String l = labels.isEmpty() ? "" : "{" + labels + "}";
            sb.append(name).append("_sum").append(l).append(' ').append(num(sum.sum())).append('\n');
            sb.append(name).append("_count").append(l).append(' ').append(count.get()).append('\n');
        }
    }

    public void queueDepth(LongSupplier depth) {
        this.queueDepth = depth;
    }

    public void request(String route, int status, double seconds) {
        requests.computeIfAbsent(route + "\u0000" + status, k -> new AtomicLong()).incrementAndGet();
        latency.computeIfAbsent(route, k -> new Histogram(SECONDS)).observe(seconds);
        if (status == 429) rejected.incrementAndGet();
    }

    public void batch(int rows, int tokensInBatch) {
        batchRows.observe(rows);
        tokens.addAndGet(tokensInBatch);
    }

    public void queued(double seconds) {
        queueWait.observe(seconds);
    }

    public void generated(int n) {
        generated.addAndGet(n);
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP loupe_requests_total API requests by route and HTTP status.\n# TYPE loupe_requests_total counter\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] k = e.getKey().split("\u0000");
            sb.append("loupe_requests_total{route=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ").append(e.getValue().get()).append('\n');
        });
        sb.append("# HELP loupe_request_seconds Request latency by route.\n# TYPE loupe_request_seconds histogram\n");
        latency.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> e.getValue().render(sb, "loupe_request_seconds", "route=\"" + e.getKey() + "\""));
        sb.append("# HELP loupe_queue_depth Jobs waiting for the model.\n# TYPE loupe_queue_depth gauge\nloupe_queue_depth ").append(queueDepth.getAsLong()).append('\n');
        sb.append("# HELP loupe_queue_wait_seconds Time a job waited before its forward pass.\n# TYPE loupe_queue_wait_seconds histogram\n");
        queueWait.render(sb, "loupe_queue_wait_seconds", "");
        sb.append("# HELP loupe_batch_rows Rows per shared forward pass (prefill or whole forward).\n# TYPE loupe_batch_rows histogram\n");
        batchRows.render(sb, "loupe_batch_rows", "");
        sb.append("# HELP loupe_tokens_total Prompt tokens run through the model.\n# TYPE loupe_tokens_total counter\nloupe_tokens_total ").append(tokens.get()).append('\n');
        sb.append("# HELP loupe_generated_tokens_total Tokens generated.\n# TYPE loupe_generated_tokens_total counter\nloupe_generated_tokens_total ").append(generated.get()).append('\n');
        double up = (System.nanoTime() - started) / 1e9;
        sb.append("# HELP loupe_tokens_per_second Prompt and generated tokens per second since start.\n# TYPE loupe_tokens_per_second gauge\nloupe_tokens_per_second ")
                .append(num((tokens.get() + generated.get()) / Math.max(up, 1e-9))).append('\n');
        sb.append("# HELP loupe_rejected_total Requests refused with 429 (queue full).\n# TYPE loupe_rejected_total counter\nloupe_rejected_total ").append(rejected.get()).append('\n');
        return sb.toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6g", v);
    }
}
