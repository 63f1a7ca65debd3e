package dev.loupe.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.format.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Trains a GPT-2-architecture language model from scratch: next-token cross-entropy, AdamW, warmup + cosine
 * schedule, global-norm clipping. Checkpoints go to {@code checkpoint.safetensors} in the output folder;
 * running again after an interruption (even kill -9) continues from the last one and ends with the same
 * weights, bit for bit, as an uninterrupted run. The finished model is written as a Hugging Face folder.
 */
public final class LmTrainer {
    /** The checkpoint file inside the output folder; removed once the model is written. */
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** The training record inside the output folder: settings, loss curve, speed. */
    public static final String RECORD = "training.json";
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final int TIMING_WARMUP_STEPS = 5;
    private static final String LOG_KEY = "loss_log", INTERVAL_LOSS_KEY = "interval_loss_sum";

    /** One point of the loss curve: mean training loss over the {@code logEvery} steps ending at {@code step}. */
    public record LogEntry(long step, long tokens, double loss, double lr) {}

    /** Sees each finished step (for a progress bar). */
    @FunctionalInterface
    public interface Listener {
        void step(long step, long totalSteps, double loss, double tokensPerSecond);
    }

    /** The outcome: the curve and the speed measured in this process (after {@value #TIMING_WARMUP_STEPS} warm-up steps). */
    public record Result(HookedTransformer model, List<LogEntry> log, long resumedFrom, double tokensPerSecond) {}

    private LmTrainer() {}

    /**
     * Runs (or resumes) {@code run} on {@code data} and writes the model folder into {@code out}.
     *
     * @param dataDescription names the data in the run's fingerprint (e.g. file and token count)
     */
    public static Result train(LmRun run, PackedDataset data, String dataDescription, int endOfTextId, Path out, Listener listener)
            throws IOException {
        return train(run, data, dataDescription, endOfTextId, out, listener, null);
    }

    /**
     * As {@link #train(LmRun, PackedDataset, String, int, Path, Listener)}, starting from {@code initial}'s weights where
     * it has them (e.g. adding MLPs to a trained attention-only model: the MLPs and their norms start fresh).
     * {@code dataDescription} should name {@code initial}, since it enters the run's fingerprint.
     */
    public static Result train(LmRun run, PackedDataset data, String dataDescription, int endOfTextId, Path out, Listener listener,
            HookedTransformer initial) throws IOException {
        Files.createDirectories(out);
        HookedTransformer model = run.shape().initialize(run.seed());
        Map<String, Tensor> params = model.weights().parameters();
        if (initial != null) copyInto(params, initial.weights().parameters());
        params.values().forEach(p -> p.requiresGrad(true));
        AdamW opt = new AdamW(params, decayed(params), run.beta1(), run.beta2(), 1e-8, run.weightDecay());
        LrSchedule schedule = LrSchedule.cosine(run.warmup(), run.steps(), run.minLrFraction());
        String fingerprint = run.fingerprint(dataDescription);
        Path ckpt = out.resolve(CHECKPOINT);
        TrainCheckpoint.Restored restored = TrainCheckpoint.load(ckpt, fingerprint, params, opt);
        long start = restored == null ? 0 : restored.step();
        List<LogEntry> log = restored == null ? new ArrayList<>() : parseLog(restored.state().get(LOG_KEY));
        double intervalLoss = restored == null ? 0 : Double.parseDouble(restored.state().get(INTERVAL_LOSS_KEY));
        long timedTokens = 0, timedNanos = 0;
        for (long step = start; step < run.steps(); step++) {
            long t0 = System.nanoTime();
            int[][] batch = data.batch(step, run.batch());
            Tensor loss = Ops.nextTokenLoss(model.forward(batch), batch);
            Autograd.backward(loss);
            AdamW.clipGradNorm(params, run.clip());
            double lr = schedule.at(run.lr(), step);
            Autograd.noGrad(() -> {
                opt.step(lr);
                return null;
            });
            params.values().forEach(Tensor::zeroGrad);
            long dt = System.nanoTime() - t0;
            if (step - start >= TIMING_WARMUP_STEPS) {
                timedNanos += dt;
                timedTokens += run.tokensPerStep();
            }
            intervalLoss += loss.data()[0];
            long done = step + 1;
            if (done % run.logEvery() == 0 || done == run.steps()) {
                int n = (int) (done % run.logEvery() == 0 ? run.logEvery() : done % run.logEvery());
                log.add(new LogEntry(done, done * run.tokensPerStep(), intervalLoss / n, lr));
                intervalLoss = 0;
            }
            if (listener != null) listener.step(done, run.steps(), loss.data()[0], run.tokensPerStep() * 1e9 / dt);
            if (done % run.checkpointEvery() == 0 || done == run.steps()) {
                Map<String, String> state = Map.of(LOG_KEY, JSON.writeValueAsString(log), INTERVAL_LOSS_KEY, Double.toString(intervalLoss));
                TrainCheckpoint.save(ckpt, done, fingerprint, state, params, opt);
            }
        }
        double tps = timedNanos == 0 ? Double.NaN : timedTokens * 1e9 / timedNanos;
        params.values().forEach(p -> p.requiresGrad(false));
        return new Result(model, log, start, tps);
    }

    /** Copies every tensor of {@code from} into the parameter of the same name; each must exist with the same shape. */
    static void copyInto(Map<String, Tensor> params, Map<String, Tensor> from) {
        from.forEach((name, t) -> {
            Tensor p = params.get(name);
            if (p == null) throw new IllegalArgumentException("--init: the starting model has " + name + ", which the new shape lacks");
            if (!java.util.Arrays.equals(p.shape(), t.shape())) {
                throw new IllegalArgumentException("--init: " + name + " is " + java.util.Arrays.toString(t.shape()) + " in the starting model, "
                        + java.util.Arrays.toString(p.shape()) + " in the new shape");
            }
            System.arraycopy(t.data(), 0, p.data(), 0, p.data().length);
        });
    }

    /**
     * Weight decay goes to the weight matrices of attention and MLP; not to biases, LayerNorm gains or the
     * (tied) embeddings, as GPT-2-style training customarily excludes them.
     */
    static Set<String> decayed(Map<String, Tensor> params) {
        return params.entrySet().stream()
                .filter(e -> e.getValue().rank() == 2 && !e.getKey().startsWith("embed."))
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    static List<LogEntry> parseLog(String json) {
        try {
            return new ArrayList<>(JSON.readValue(json, new TypeReference<List<LogEntry>>() {}));
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint loss log is not valid JSON", e);
        }
    }

    /** The training record written beside the model. */
    public static Map<String, Object> record(LmRun run, String command, String dataDescription, Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", command);
        m.put("data", dataDescription);
        m.put("run", run);
        m.put("steps", run.steps());
        m.put("parameters", r.model().weights().parameters().values().stream().mapToLong(Tensor::numel).sum());
        m.put("tokens_per_second", r.tokensPerSecond());
        m.put("resumed_from_step", r.resumedFrom());
        m.put("loss_curve", r.log());
        return m;
    }
}
