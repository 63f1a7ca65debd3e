package dev.loupe.sae;

import dev.loupe.train.AdamW;
import java.util.Map;

/**
 * Everything a training run carries from step to step; what a checkpoint saves. Shared by SAE and transcoder
 * training: the dictionary is seen as its named parameter arrays (live), identified by its config text.
 *
 * @see TrainCheckpoint
 */
final class TrainState {
    final String config;
    final Map<String, float[]> params;
    final AdamW adam;
    long step;
    long tokens;
    final float[] scales;
    final long[] lastFired;
    long rngState;

    /**
     * @param config the dictionary's config as text (a checkpoint resumes only the identical config)
     * @param params every parameter, live, by name (saved); {@code adam} holds the trained subset
     * @param scales input (and output) scales applied while training, folded into the weights at the end
     * @param lastFired per latent, the token count when it last fired
     */
    TrainState(String config, Map<String, float[]> params, AdamW adam, long step, long tokens, float[] scales, long[] lastFired, long rngState) {
        this.config = config;
        this.params = params;
        this.adam = adam;
        this.step = step;
        this.tokens = tokens;
        this.scales = scales;
        this.lastFired = lastFired;
        this.rngState = rngState;
    }

    /** Marks the latents that fired in a step of {@code rows} tokens. */
    void advance(int rows, boolean[] fired) {
        tokens += rows;
        for (int j = 0; j < fired.length; j++) if (fired[j]) lastFired[j] = tokens;
        step++;
    }

    /** Sets {@code dead[j]} for latents silent for {@code after} tokens; returns how many. */
    int deadMask(long after, boolean[] dead) {
        int count = 0;
        for (int j = 0; j < dead.length; j++) {
            dead[j] = tokens - lastFired[j] >= after;
            if (dead[j]) count++;
        }
        return count;
    }
}
