package dev.loupe.sae.transcoder;

import dev.loupe.sae.SaeArchitectures;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import dev.loupe.model.format.Npz;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Gemma Scope's transcoders ({@code google/gemma-scope-2b-pt-transcoders}, {@code params.npz}): a NumPy archive with
 * {@code W_enc} [d_model, d_tc] (input-major, as Gemma Scope's JAX code multiplies x W_enc), {@code W_dec} [d_tc, d_model],
 * {@code b_enc} [d_tc], {@code b_dec} [d_model] and {@code threshold} [d_tc]: JumpReLU per-layer transcoders. The encoder
 * is transposed into circuit-tracer's [d_tc, d_model] on reading, as circuit-tracer's own loader does.
 */
public final class GemmaScopeNpz {
    private GemmaScopeNpz() {}

    /** The transcoder for {@code layer} in {@code file}. */
    public static Transcoder read(Path file, int layer) throws IOException {
        Map<String, Tensor> a = Npz.read(file);
        for (String name : new String[] {"W_enc", "W_dec", "b_enc", "b_dec", "threshold"}) {
            if (!a.containsKey(name)) throw new IllegalArgumentException(file + ": a Gemma Scope transcoder needs array '" + name + "' (has " + a.keySet() + ")");
        }
        Tensor wEnc = a.get("W_enc");
        if (wEnc.shape().length != 2) throw new IllegalArgumentException(file + ": W_enc should be [d_model, d_tc], got rank " + wEnc.shape().length);
        int d = wEnc.size(0), width = wEnc.size(1);
        String w = file + ": ";
        return new Transcoder(layer, d, width, SaeArchitectures.get("jumprelu"), Ops.transpose(wEnc).data(), a.get("b_enc").requireShape(w + "b_enc", width).data(),
                a.get("W_dec").requireShape(w + "W_dec", width, d).data(), a.get("b_dec").requireShape(w + "b_dec", d).data(),
                a.get("threshold").requireShape(w + "threshold", width).data(), 0, null);
    }
}
