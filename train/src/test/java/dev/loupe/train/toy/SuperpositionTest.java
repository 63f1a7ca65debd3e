package dev.loupe.train.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The qualitative results of "Toy Models of Superposition" reproduced by the ReLU toy model. */
class SuperpositionTest {
    private static final ReluToyModel.Settings FAST = new ReluToyModel.Settings(3000, 256, 3e-3, 0);

    @Test
    void sparseFeaturesArePackedIntoFewerDimensionsDenseOnesAreNot(@TempDir Path dir) throws Exception {
        var o = new SuperpositionExperiment.Options(20, 5, new double[] {0, 0.99}, 0.7, FAST, 0, dir);
        List<ReluToyModel> models = SuperpositionExperiment.run(o, new PrintStream(OutputStream.nullOutputStream()));
        int dense = models.get(0).represented(0.5), sparse = models.get(1).represented(0.5);
        assertTrue(Math.abs(dense - 5) <= 1, "dense features: about m = 5 represented, got " + dense);
        assertTrue(sparse > 5, "1% dense features: more than m = 5 represented (superposition), got " + sparse);
        assertTrue(ImageIO.read(dir.resolve("superposition.png").toFile()).getWidth() > 100);
        assertTrue(Files.readString(dir.resolve("results.json")).contains("\"represented\""));
    }

    @Test
    void twoFeaturesInOneDimensionFollowThePhaseDiagram() {
        var s = new ReluToyModel.Settings(2000, 256, 1e-2, 0);
        assertEquals(PhaseDiagram.Phase.NOT_REPRESENTED, PhaseDiagram.classify(PhaseDiagram.best(0, 0.3, s, 2)));
        assertEquals(PhaseDiagram.Phase.DEDICATED, PhaseDiagram.classify(PhaseDiagram.best(0, 3, s, 2)));
        assertEquals(PhaseDiagram.Phase.SUPERPOSITION, PhaseDiagram.classify(PhaseDiagram.best(0.99, 1, s, 2)));
    }
}
