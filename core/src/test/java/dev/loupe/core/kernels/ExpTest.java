package dev.loupe.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class ExpTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static float[] exp(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) Exp.exp(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        return out;
    }

    @Test
    void withinTwoUlpOfMathExp() {
        float[] x = new float[S.length() * 4096];
        for (int i = 0; i < x.length; i++) x[i] = -87f + 175f * i / x.length;
        float[] y = exp(x);
        for (int i = 0; i < x.length; i++) {
            float want = (float) Math.exp(x[i]);
            assertTrue(Math.abs(y[i] - want) <= 2 * Math.ulp(want), "exp(" + x[i] + ") = " + y[i] + ", want " + want);
        }
    }

    @Test
    void edgeValues() {
        float[] x = new float[S.length()];
        x[0] = Float.NEGATIVE_INFINITY;
        x[1 % x.length] = 0f;
        float[] y = exp(x);
        assertEquals(0f, y[0]);
        assertEquals(1f, y[1 % x.length]);
    }

    /** The same inputs give the same bits before and after the JIT compiles the kernel (the Vector API's EXP does not). */
    @Test
    void sameBitsInEveryJitTier() {
        Random r = new Random(3);
        float[] x = new float[S.length() * 512];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 10;
        float[] first = exp(x);
        for (int rep = 0; rep < 3000; rep++) assertArrayEquals(first, exp(x), "repetition " + rep);
    }
}
