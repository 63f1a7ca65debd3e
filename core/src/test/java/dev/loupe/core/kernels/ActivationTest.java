package dev.loupe.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Activation#apply}: accurate, and an element's bits do not depend on where it sits in a row. */
class ActivationTest {
    @ParameterizedTest
    @EnumSource(Activation.class)
    void accurateAndIndependentOfPosition(Activation f) {
        Random r = new Random(5);
        float[] x = new float[4099];
        for (int i = 0; i < x.length; i++) x[i] = (r.nextFloat() * 2 - 1) * 20;
        float[] y = new float[x.length];
        f.apply(x, y, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            float[] one = {x[i]};
            f.apply(one, one, 0, 1);
            assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(one[0]), f + " at " + x[i]);
            double want = reference(f, x[i]);
            assertTrue(Math.abs(y[i] - want) <= 2e-6 * Math.max(1, Math.abs(want)), f + "(" + x[i] + ") = " + y[i] + ", want " + want);
        }
    }

    private static double reference(Activation f, double x) {
        return switch (f) {
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case GELU_ERF -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
            case SILU -> x / (1 + Math.exp(-x));
            case RELU -> Math.max(0, x);
        };
    }
}
