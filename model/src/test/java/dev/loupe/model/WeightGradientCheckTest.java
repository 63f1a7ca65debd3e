package dev.loupe.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weight gradients of the next-token loss agree with central finite differences, for each architecture:
 * for every parameter tensor, the loss's slope along the unit gradient direction (step 2e-3) equals the
 * gradient's norm. A direction-wide step keeps the signal far above float32 rounding noise.
 */
class WeightGradientCheckTest {
    @ParameterizedTest
    @ValueSource(strings = {"stories260K-hf", "gpt2-tiny-random", "pythia-tiny-random", "gemma2-tiny-random", "gemma3-tiny-random"})
    void weightGradientsMatchFiniteDifferences(String name) {
        HookedTransformer model = SharedModels.load(name);
        int[][] tokens = {{1, 45, 300, 7, 99, 12, 250, 3}};
        Map<String, Tensor> params = model.weights().parameters();
        params.values().forEach(p -> p.requiresGrad(true));
        Tensor loss = Ops.nextTokenLoss(model.forward(tokens), tokens);
        Autograd.backward(loss);
        params.values().forEach(p -> p.requiresGrad(false));

        double worst = 0;
        String worstAt = "";
        for (var e : params.entrySet()) {
            Tensor p = e.getValue();
            float[] g = p.grad().data();
            double norm = 0;
            for (float v : g) norm += (double) v * v;
            norm = Math.sqrt(norm);
            p.zeroGrad();
            if (norm < 1e-6) continue;
            float[] saved = p.data().clone();
            double h = 2e-3;
            double up = lossAlong(model, tokens, p, saved, g, h / norm);
            double down = lossAlong(model, tokens, p, saved, g, -h / norm);
            System.arraycopy(saved, 0, p.data(), 0, saved.length);
            p.markModified();
            double numeric = (up - down) / (2 * h);
            double err = Math.abs(numeric - norm) / norm;
            if (err > worst) {
                worst = err;
                worstAt = e.getKey() + ": analytic |g| " + norm + ", numeric " + numeric;
            }
        }
        System.out.printf("%s: worst directional finite-difference relative error %.2e (%s)%n", name, worst, worstAt);
        assertTrue(worst < 1e-2, name + ": " + worstAt);
    }

    /** Loss with the parameter moved to saved + step * direction. */
    private static double lossAlong(HookedTransformer model, int[][] tokens, Tensor p, float[] saved, float[] direction, double step) {
        for (int i = 0; i < saved.length; i++) p.data()[i] = (float) (saved[i] + step * direction[i]);
        p.markModified(); // written in place: drop the packed copy
        return loss(model, tokens);
    }

    private static double loss(HookedTransformer model, int[][] tokens) {
        return Ops.nextTokenLoss(model.forward(tokens), tokens).data()[0];
    }
}
