package dev.loupe.model.arch;

import dev.loupe.model.HookedTransformer;
import dev.loupe.model.format.Checkpoint;
import java.util.List;

/**
 * Maps one family of checkpoints (named by Hugging Face {@code architectures}) onto the hooked
 * transformer: reads its config fields and rearranges its tensors into {@link dev.loupe.model.TransformerWeights}.
 */
public interface Architecture {
    /** The Hugging Face architecture names (and model_type values) this adapter reads. */
    List<String> names();

    HookedTransformer build(Checkpoint checkpoint);
}
