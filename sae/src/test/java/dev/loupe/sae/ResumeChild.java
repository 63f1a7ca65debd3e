package dev.loupe.sae;

import java.nio.file.Path;

/**
 * Child-JVM entry point of {@link ResumeTest}: trains a small TopK SAE on synthetic rows with checkpoints
 * (args: checkpoint, output folder, per-step sleep in ms), so the parent can kill it mid-run.
 */
public final class ResumeChild {
    static final SaeConfig CONFIG = new SaeConfig("topk", 16, 64, "blocks.0.hook_resid_post", 0, "synthetic", 4, true, "none", 0);

    /** The run's options, checkpointing to {@code ckpt} (null: none). */
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
        Sae sae = new SaeTrainer(CONFIG, options(ckpt).build(), new TensorSource(ResumeTest.data(), 16, 9)).onStep((step, stats) -> {
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }).train();
        SaeLensFormat.write(sae, Path.of(args[1]));
    }
}
