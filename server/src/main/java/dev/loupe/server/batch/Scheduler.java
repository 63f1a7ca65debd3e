package dev.loupe.server.batch;

import dev.loupe.core.Tensor;
import dev.loupe.model.ForwardOptions;
import dev.loupe.interp.trace.TraceRunner;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.hooks.ActivationCache;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import dev.loupe.model.hooks.Hooks;
import dev.loupe.model.hooks.Site;
import dev.loupe.server.http.ApiError;
import dev.loupe.server.intervene.RowInterventions;
import dev.loupe.server.obs.Metrics;
import dev.loupe.server.obs.PhaseEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one thread that runs the model. Requests queue jobs here; the thread takes the cheapest job (in token
 * positions; a job waiting longer than {@link Settings#overtakeNanos} goes first, so none starves) and every queued job that
 * can share its pass (equal token counts, up to {@code maxBatchRows}), runs them as one batch with each row's
 * interventions scoped to that row, and hands each request its own row. Generation batches advance a step
 * at a time between other work, so a long generation does not hold up a quick forward pass. A full queue refuses
 * new work with 429 and a Retry-After instead of growing without bound.
 */
public final class Scheduler implements AutoCloseable {
    /**
     * @param maxBatchRows most rows in one shared pass (1 turns micro-batching off)
     * @param maxQueued most jobs waiting; more are refused with 429
     * @param overtakeNanos how long a job may be overtaken by cheaper ones before it runs in arrival order
     */
    public record Settings(int maxBatchRows, int maxQueued, long overtakeNanos) {
        /** With the default {@link #OVERTAKE_NANOS}. */
        public Settings(int maxBatchRows, int maxQueued) {
            this(maxBatchRows, maxQueued, OVERTAKE_NANOS);
        }
    }

    /** How long a job may be overtaken by cheaper ones before it runs in arrival order, by default. */
    public static final long OVERTAKE_NANOS = 250_000_000L;

    private final HookedTransformer model;
    private final Settings settings;
    private final Metrics metrics;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Map<Job, Waiting> enqueued = new LinkedHashMap<>();
    private final List<DecodeBatch> decoding = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** When a job was queued, and its JFR "queued" event (committed when the job is taken). */
    private record Waiting(long since, PhaseEvent event) {}

    public Scheduler(HookedTransformer model, Settings settings, Metrics metrics) {
        this.model = model;
        this.settings = settings;
        this.metrics = metrics;
        metrics.queueDepth(this::depth);
        thread = Thread.ofPlatform().name("loupe-model").daemon().start(this::loop);
    }

    /** Jobs waiting. */
    public synchronized long depth() {
        return queue.size();
    }

    /** Queues a job, or refuses it with 429 when the queue is full. */
    public void submit(Job job) {
        synchronized (this) {
            if (!running) throw new ApiError(503, "server is shutting down");
            if (queue.size() >= settings.maxQueued()) {
                throw new ApiError(429, "server busy: " + queue.size() + " jobs are queued (limit " + settings.maxQueued() + "); retry shortly", 1);
            }
            queue.addLast(job);
            enqueued.put(job, new Waiting(System.nanoTime(), PhaseEvent.start(job.id(), "queued")));
            notifyAll();
        }
    }

    private void loop() {
        while (running) {
            List<Job> group;
            try {
                group = next();
            } catch (InterruptedException e) {
                return;
            }
            if (group != null) run(group);
            for (Iterator<DecodeBatch> it = decoding.iterator(); it.hasNext(); ) {
                DecodeBatch d = it.next();
                try {
                    metrics.generated(d.step());
                } catch (RuntimeException e) {
                    d.fail(e);
                } catch (OutOfMemoryError e) {
                    d.fail(outOfMemory());
                }
                if (d.finished()) it.remove();
            }
        }
    }

    /** The oldest queued job and every queued job that can share its pass; null when only decoding is pending. */
    private synchronized List<Job> next() throws InterruptedException {
        while (queue.isEmpty() && decoding.isEmpty() && running) wait();
        if (queue.isEmpty()) return null;
        Job first = pick();
        List<Job> group = new ArrayList<>(List.of(first));
        for (Iterator<Job> it = queue.iterator(); it.hasNext() && group.size() < settings.maxBatchRows(); ) {
            Job j = it.next();
            if (first.batchesWith(j)) {
                group.add(j);
                it.remove();
            }
        }
        long now = System.nanoTime();
        List<Job> live = new ArrayList<>();
        for (Job j : group) {
            Waiting w = enqueued.remove(j);
            w.event().rows = group.size();
            w.event().commit();
            long since = w.since();
            metrics.queued((now - since) / 1e9);
            if (now > j.deadline()) j.fail(new ApiError(503, "request waited " + (now - since) / 1_000_000 + " ms in the queue, past its time limit"));
            else live.add(j);
        }
        return live.isEmpty() ? null : live;
    }

    /**
     * Takes the next job to run: the oldest one once it has waited {@link Settings#overtakeNanos}, otherwise the cheapest
     * (the oldest of equal cost). Short requests thus pass long ones (a resample's 256-token passes, a slow reader's
     * all-layer patterns) instead of queueing behind them, while a long job is overtaken for a bounded time only.
     */
    private Job pick() {
        Job oldest = queue.peekFirst();
        if (System.nanoTime() - enqueued.get(oldest).since() >= settings.overtakeNanos()) return queue.pollFirst();
        Job cheapest = oldest;
        for (Job j : queue) if (j.cost() < cheapest.cost()) cheapest = j;
        queue.remove(cheapest);
        return cheapest;
    }

    private void run(List<Job> group) {
        try {
            switch (group.getFirst()) {
                case ForwardJob f -> forward(group.stream().map(ForwardJob.class::cast).toList());
                case GenerateJob g -> {
                    DecodeBatch d = new DecodeBatch(model, group.stream().map(GenerateJob.class::cast).toList());
                    metrics.batch(d.rows(), d.rows() * g.prompt().length);
                    if (!d.finished()) decoding.add(d);
                }
                case TraceJob t -> traces(group.stream().map(TraceJob.class::cast).toList());
                case SoloJob<?> s -> {
                    metrics.batch(1, 0);
                    s.run();
                }
            }
        } catch (RuntimeException e) {
            for (Job j : group) j.fail(e);
        } catch (OutOfMemoryError e) { // the batch's arrays are garbage now; the thread keeps serving
            for (Job j : group) j.fail(outOfMemory());
        }
    }

    /** What a job that ran out of memory answers: a clean 503 its client can retry. */
    static ApiError outOfMemory() {
        return new ApiError(503, "the server ran out of memory for this work; retry shortly, or ask for fewer tokens, hooks or rows", 1);
    }

    private void forward(List<ForwardJob> jobs) {
        int rows = jobs.size(), pos = jobs.getFirst().tokens().length;
        PhaseEvent ev = PhaseEvent.start(jobs.getFirst().id(), "forward");
        int[][] tokens = new int[rows][];
        for (int r = 0; r < rows; r++) tokens[r] = jobs.get(r).tokens();
        Hooks.Builder b = Hooks.builder(model.hooks());
        RowInterventions.install(b, jobs.stream().map(ForwardJob::interventions).toList());
        List<String> patterns = jobs.stream().flatMap(j -> j.cache().stream()).distinct().toList();
        ActivationCache cache = new ActivationCache();
        b.cache(patterns, cache);
        boolean logitsWanted = jobs.stream().anyMatch(ForwardJob::logits);
        int stop = logitsWanted ? -1 : lastLayerNeeded(patterns);
        Tensor out = model.forward(tokens, b.build(), null, new ForwardOptions(stop, false));
        Tensor logits = stop < 0 && model.config().hasUnembed() ? out : null;
        ev.rows = rows;
        ev.tokens = rows * pos;
        ev.commit();
        metrics.batch(rows, rows * pos);
        for (int r = 0; r < rows; r++) {
            ForwardJob j = jobs.get(r);
            Map<String, Tensor> acts = new LinkedHashMap<>();
            for (String p : j.cache()) {
                for (HookSpec spec : HookPattern.select(model.hooks(), p)) acts.put(spec.name(), row(cache.get(spec.name()), r));
            }
            j.result().complete(new ForwardJob.Result(j.logits() ? row(logits, r) : null, acts, rows));
        }
    }

    /**
     * Runs traces as one batch; if that fails, runs each alone, so one trace's error (a limit it hit) never fails
     * the others that shared its pass.
     */
    private void traces(List<TraceJob> jobs) {
        PhaseEvent ev = PhaseEvent.start(jobs.getFirst().id(), "trace");
        long deadline = jobs.stream().mapToLong(TraceJob::deadline).min().orElseThrow();
        long maxBytes = jobs.stream().mapToLong(TraceJob::maxBytes).sum();
        int rows = jobs.stream().mapToInt(j -> j.plan().passes().getFirst().length).sum();
        try {
            List<TraceRunner.Result> out = TraceRunner.runTogether(model, jobs.stream().map(TraceJob::plan).toList(), deadline, maxBytes);
            metrics.batch(rows, rows * jobs.getFirst().plan().tokens(0));
            for (int i = 0; i < jobs.size(); i++) jobs.get(i).result().complete(out.get(i));
        } catch (RuntimeException e) {
            if (jobs.size() == 1) throw e;
            for (TraceJob j : jobs) {
                try {
                    j.result().complete(TraceRunner.run(model, j.plan(), j.deadline(), j.maxBytes()));
                } catch (RuntimeException alone) {
                    j.fail(alone);
                }
            }
        } finally {
            ev.rows = rows;
            ev.commit();
        }
    }

    /** The last block whose hooks {@code patterns} select; -1 (run everything) when a model-level hook after the blocks is selected. */
    private int lastLayerNeeded(List<String> patterns) {
        int last = 0;
        for (String p : patterns) {
            for (HookSpec s : HookPattern.select(model.hooks(), p)) {
                if (s.layer() < 0 && s.site() == Site.LN_FINAL) return -1;
                last = Math.max(last, s.layer());
            }
        }
        return last;
    }

    /** Row {@code r} of a [batch, ...] tensor as [1, ...]; the tensor itself when it has one row (no copy of a large activation). */
    static Tensor row(Tensor t, int r) {
        if (t.size(0) == 1) return t;
        int size = t.numel() / t.size(0);
        int[] shape = t.shape();
        shape[0] = 1;
        return Tensor.of(Arrays.copyOfRange(t.data(), r * size, (r + 1) * size), shape);
    }

    @Override
    public void close() {
        synchronized (this) {
            running = false;
            for (Job j : queue) j.fail(new ApiError(503, "server is shutting down"));
            queue.clear();
            notifyAll();
        }
        thread.interrupt();
    }
}
