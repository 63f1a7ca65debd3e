package dev.loupe.interp.analysis;

import dev.loupe.core.Tensor;
import java.util.List;

/**
 * What the logit lens saw, by depth (one row per hook in {@link #hooks}) and position.
 *
 * @param tokens the input ids
 * @param target the followed token, or -1
 * @param topIds [depth][pos][k] most likely tokens, most likely first
 * @param topProbs [depth, pos, k] their probabilities
 * @param targetProb [depth, pos] the target's probability, or null without a target
 * @param targetRank [depth][pos] the target's rank (0 = most likely), or null without a target
 */
public record LensResult(List<String> hooks, int[] tokens, int target, int[][][] topIds, Tensor topProbs, Tensor targetProb, int[][] targetRank) {
    public int depths() {
        return hooks.size();
    }

    /** A short label per depth: "embed" for the residual entering block 0, then "L0".."L{n-1}" after each block. */
    public String depthLabel(int d) {
        return d == 0 ? "embed" : "L" + (d - 1);
    }
}
