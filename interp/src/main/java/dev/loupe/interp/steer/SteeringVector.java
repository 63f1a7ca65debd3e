package dev.loupe.interp.steer;

import dev.loupe.core.Tensor;
import dev.loupe.interp.intervene.Intervention;
import dev.loupe.interp.intervene.Operation;
import dev.loupe.interp.intervene.Scope;
import dev.loupe.interp.intervene.TensorRef;
import dev.loupe.model.HookedTransformer;
import dev.loupe.model.format.SafeTensors;
import dev.loupe.model.format.SafeTensorsWriter;
import dev.loupe.model.format.WeightStore;
import dev.loupe.model.hooks.HookPattern;
import dev.loupe.model.hooks.HookSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A direction added to the residual stream (or another hook) to steer a model, with the metadata that
 * says how it was made and where it applies. Stored as safetensors: one tensor {@code vector} [width].
 */
public record SteeringVector(Tensor vector, SteeringMetadata metadata) {
    /** Name of the tensor in a steering vector file. */
    public static final String TENSOR = "vector";

    public void save(Path file) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter().add(TENSOR, vector);
        metadata.toMap().forEach(w::metadata);
        w.write(file);
    }

    public static SteeringVector load(Path file) throws IOException {
        try (WeightStore store = SafeTensors.open(file)) {
            SteeringMetadata md = SteeringMetadata.fromMap(store.metadata(), file.toString());
            if (!store.contains(TENSOR)) throw new IllegalArgumentException(file + ": no tensor '" + TENSOR + "'");
            Tensor v = store.tensor(TENSOR);
            return new SteeringVector(v.reshape(v.numel()), md);
        }
    }

    /** The vector added with {@code scale} at every position of every row. */
    public Intervention intervention(float scale) {
        return new Intervention(metadata.hook(), new Operation.Add(new TensorRef.Inline(vector.data()), scale), Scope.EVERYWHERE);
    }

    /** Checks that {@code model} has the vector's hook and residual width; {@code label} names the vector in errors. */
    public void requireFits(HookedTransformer model, String label) {
        HookSpec hook = model.hooks().get(metadata.hook());
        if (hook == null) {
            throw new IllegalArgumentException(label + ": built at hook '" + metadata.hook() + "', which this model lacks; nearest: "
                    + HookPattern.nearest(model.hooks(), metadata.hook(), 3));
        }
        if (model.config().dModel() != metadata.dModel()) {
            throw new IllegalArgumentException(label + ": built for d_model=" + metadata.dModel() + " (" + metadata.model() + ", "
                    + metadata.architecture() + ") but this model has d_model=" + model.config().dModel());
        }
    }
}
