package dev.loupe.sae;

import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import dev.loupe.sae.transcoder.TranscoderHooks;
import dev.loupe.sae.transcoder.TranscoderSet;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Child-JVM entry point of {@link ResumeTest}: trains a small TopK SAE, or (fourth arg {@code clt} or {@code plt}) a
 * JumpReLU cross-layer or per-layer transcoder over two layers, on synthetic rows with checkpoints (args:
 * checkpoint, output folder, per-step sleep in ms, kind), so the parent can kill it mid-run. {@link FullDiskTest}
 * runs the same trainings in its own JVM.
 */
public final class ResumeChild {
    static final SaeConfig CONFIG = new SaeConfig("topk", 16, 64, "blocks.0.hook_resid_post", 0, "synthetic", 4, true, "none", 0);

    /** The SAE run's options, checkpointing to {@code ckpt} (null: none). */
    static TrainOptions.Builder options(Path ckpt) {
        TrainOptions.Builder o = TrainOptions.builder(120);
        o.batchSize = 64;
        o.kAux = 8;
        o.deadAfterTokens = 640;
        o.checkpoint = ckpt;
        o.checkpointEvery = 10;
        return o;
    }

    /** The transcoder runs' options: the SAE run's with a JumpReLU sparsity coefficient. */
    static TrainOptions.Builder transcoderOptions(Path ckpt) {
        TrainOptions.Builder o = options(ckpt);
        o.coefficient = 0.01;
        return o;
    }

    /** A JumpReLU cross-layer ({@code clt}) or per-layer ({@code plt}) transcoder over layers 0 and 1, d_model 4, 8 features. */
    static TranscoderSpec spec(String kind) {
        return new TranscoderSpec(kind.equals("clt") ? TranscoderSpec.CLT : TranscoderSpec.PLT, "jumprelu", new int[] {0, 1}, 4, 8, 0,
                TranscoderHooks.MLP, "synthetic");
    }

    /** Trains {@code kind} ({@code sae}, {@code clt} or {@code plt}) with checkpoints in {@code ckpt} (null: none) and writes it to {@code out}. */
    static void train(String kind, Path ckpt, Path out, SaeTrainer.StepListener listener) throws IOException {
        if (kind.equals("sae")) {
            SaeLensFormat.write(new SaeTrainer(CONFIG, options(ckpt).build(), new TensorSource(ResumeTest.data(), 16, 9)).onStep(listener).train(), out);
            return;
        }
        TranscoderWeights w = new TranscoderTrainer(spec(kind), transcoderOptions(ckpt).build(), new TensorSource(ResumeTest.data(), 16, 9))
                .onStep(listener).train();
        if (w.toTranscoders() instanceof CrossLayerTranscoder clt) CircuitTracerFormat.write(clt, out);
        else CircuitTracerFormat.write((TranscoderSet) w.toTranscoders(), out);
    }

    public static void main(String[] args) throws Exception {
        long sleep = Long.parseLong(args[2]);
        SaeTrainer.StepListener pause = (step, stats) -> {
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        train(args.length > 3 ? args[3] : "sae", args[0].equals("-") ? null : Path.of(args[0]), Path.of(args[1]), pause);
    }
}
