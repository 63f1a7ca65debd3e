package dev.loupe.sae;

/** Everything a training run carries from step to step; what a checkpoint saves. */
final class TrainState {
    final Sae sae;
    final Adam adam;
    long step;
    long tokens;
    final float scale;
    final long[] lastFired;
    final long rngState;

    TrainState(Sae sae, Adam adam, long step, long tokens, float scale, long[] lastFired, long rngState) {
        this.sae = sae;
        this.adam = adam;
        this.step = step;
        this.tokens = tokens;
        this.scale = scale;
        this.lastFired = lastFired;
        this.rngState = rngState;
    }
}
