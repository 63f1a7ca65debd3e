package dev.loupe.sae;

import dev.loupe.sae.transcoder.CircuitTracerFormat;
import dev.loupe.sae.transcoder.CrossLayerTranscoder;
import dev.loupe.sae.transcoder.TranscoderHooks;
import java.nio.file.Path;

/**
 * Child-JVM entry point of {@link ResumeTest}: trains a small TopK SAE, or (fourth arg {@code clt}) a JumpReLU
 * cross-layer transcoder over two layers, on synthetic rows with checkpoints (args: checkpoint, output folder,
 * per-step sleep in ms, kind), so the parent can kill it mid-run.
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

    public static void main(String[] args) throws Exception {
        Path ckpt = args[0].equals("-") ? null : Path.of(args[0]);
        long sleep = Long.parseLong(args[2]);
        SaeConfig cfg = CONFIG;
        TrainOptions.Builder o = options(ckpt);
        SaeTrainer.StepListener pause = (step, stats) -> {
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        if (args.length > 3 && args[3].equals("clt")) {
            TranscoderSpec spec = new TranscoderSpec(TranscoderSpec.CLT, "jumprelu", new int[] {0, 1}, 4, 8, 0, TranscoderHooks.MLP, "synthetic");
            o.coefficient = 0.01;
            TranscoderWeights w = new TranscoderTrainer(spec, o.build(), new TensorSource(ResumeTest.data(), 16, 9)).onStep(pause).train();
            CircuitTracerFormat.write((CrossLayerTranscoder) w.toTranscoders(), Path.of(args[1]));
            return;
        }
        Sae sae = new SaeTrainer(cfg, o.build(), new TensorSource(ResumeTest.data(), 16, 9)).onStep(pause).train();
        SaeLensFormat.write(sae, Path.of(args[1]));
    }
}
