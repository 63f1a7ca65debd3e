package dev.loupe.interp.steer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Power iteration finds a known principal axis and signs it along the given direction. */
class PcaTest {
    @Test
    void findsTheAxisOfLargestVarianceSignedAlongTheMean() {
        SplittableRandom r = new SplittableRandom(7);
        double[] axis = {0.6, -0.8, 0, 0};
        float[][] rows = new float[200][4];
        for (float[] row : rows) {
            double t = 5 * r.nextGaussian();
            for (int i = 0; i < 4; i++) row[i] = (float) (1 + t * axis[i] + 0.1 * r.nextGaussian());
        }
        double[] pc = Pca.firstComponent(rows, new double[] {-1, 1, 0, 0});
        assertEquals(-0.6, pc[0], 0.01);
        assertEquals(0.8, pc[1], 0.01);
        assertEquals(0, pc[2], 0.01);
    }

    @Test
    void identicalRowsHaveNoComponent() {
        float[][] same = {{1, 2}, {1, 2}};
        assertThrows(IllegalArgumentException.class, () -> Pca.firstComponent(same, new double[] {1, 0}));
    }
}
