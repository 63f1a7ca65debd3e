package dev.loupe.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loupe.core.Autograd;
import dev.loupe.core.Ops;
import dev.loupe.core.Tensor;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The hand-written SAE kernels' gradients against finite differences and against Loupe's autograd, per architecture. */
class SaeGradientTest {
    static final int D = 8, N = 24, ROWS = 6, K = 4;
    static final float COEF = 0.3f, EPS = 0.05f, AUX = 0.5f;

    static Sae sae(String arch, long seed) {
        SaeConfig cfg = new SaeConfig(arch, D, N, "blocks.0.hook_resid_post", 0, "test", arch.contains("topk") ? K : 0, true, "none", 8);
        Rng rng = new Rng(seed);
        Sae s = SaeArchitectures.create(cfg, rng, 0.2f);
        for (int i = 0; i < N; i++) s.bEnc[i] = (float) (0.1 * rng.nextGaussian());
        for (int i = 0; i < D; i++) s.bDec[i] = (float) (0.2 * rng.nextGaussian());
        for (int i = 0; i < s.wEncT.length; i++) s.wEncT[i] += (float) (0.3 * rng.nextGaussian());
        if (s.threshold != null) for (int j = 0; j < N; j++) s.threshold[j] = (float) (0.1 + 0.2 * rng.nextDouble());
        return s;
    }

    static float[] data(long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[ROWS * D];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }

    static boolean[] deadHalf() {
        boolean[] dead = new boolean[N];
        for (int j = 0; j < N; j += 2) dead[j] = true;
        return dead;
    }

    static double loss(Sae s, float[] x, boolean[] dead) {
        return TrainStep.run(s, x, ROWS, COEF, EPS, dead, AUX, K, null, null, null).loss();
    }

    @ParameterizedTest
    @ValueSource(strings = {"standard", "topk", "batchtopk", "jumprelu"})
    void gradientsMatchFiniteDifferences(String arch) {
        Sae s = sae(arch, 7);
        float[] x = data(11);
        boolean[] dead = null; // AuxK holds e = x − x̂ fixed, which finite differences cannot: checked against autograd below
        Grads g = Grads.zerosLike(s);
        TrainStep.run(s, x, ROWS, COEF, EPS, dead, AUX, K, g, null, null);
        Map<String, float[]> params = s.parameters();
        int checked = 0, smooth = 0;
        Rng pick = new Rng(3);
        for (var e : params.entrySet()) {
            if (e.getKey().equals("threshold")) continue; // step functions: pseudo-gradient, tested separately
            float[] p = e.getValue(), grad = g.byName().get(e.getKey());
            for (int t = 0; t < 12; t++) {
                int i = pick.nextInt(p.length);
                float h = 1e-3f, orig = p[i];
                p[i] = orig + h;
                double up = loss(s, x, dead);
                p[i] = orig - h;
                double down = loss(s, x, dead);
                p[i] = orig;
                double mid = loss(s, x, dead);
                checked++;
                double fwd = (up - mid) / h, bwd = (mid - down) / h;
                if (Math.abs(fwd - bwd) > 0.05 * Math.max(1, Math.abs(fwd))) continue; // a selection flipped: not differentiable here
                smooth++;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, grad[i], 2e-3 + 1e-2 * Math.abs(fd), arch + " " + e.getKey() + "[" + i + "]");
            }
        }
        assertTrue(smooth >= checked * 0.8, arch + ": only " + smooth + " of " + checked + " coordinates were away from a kink");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standard", "topk", "batchtopk", "jumprelu"})
    void gradientsMatchAutograd(String arch) {
        Sae s = sae(arch, 5);
        float[] x = data(13);
        boolean[] dead = deadHalf();
        // the active sets the kernel will choose (BatchTopK's batch selection included)
        float[] pre = s.preActivations(s.centered(x, ROWS), ROWS, new float[ROWS * N]);
        float[] mask = ones(s.architecture().activateForTraining(s.latents(), pre, ROWS));
        boolean aux = s.architecture().auxK();
        float[] auxMask = aux ? ones(SparseCodes.topK(pre, ROWS, N, K, dead)) : null;
        Grads g = Grads.zerosLike(s);
        TrainStep.run(s, x, ROWS, COEF, EPS, dead, AUX, K, g, null, null);

        Tensor wEncT = Tensor.of(s.wEncT.clone(), N, D).requiresGrad(true);
        Tensor bEnc = Tensor.of(s.bEnc.clone(), N).requiresGrad(true);
        Tensor wDec = Tensor.of(s.wDec.clone(), N, D).requiresGrad(true);
        Tensor bDec = Tensor.of(s.bDec.clone(), D).requiresGrad(true);
        Tensor xt = Tensor.of(x.clone(), ROWS, D);
        Tensor xc = Ops.add(xt, Ops.scale(TestOps.repeatRows(bDec, ROWS), -1));
        Tensor preT = Ops.linear(xc, wEncT, bEnc);
        Tensor f = Ops.mul(preT, Tensor.of(mask, ROWS, N));
        Tensor wDecT = TestOps.transpose(wDec);
        Tensor recon = Ops.add(Ops.linear(f, wDecT, null), TestOps.repeatRows(bDec, ROWS));
        Tensor err = Ops.add(recon, Ops.scale(xt, -1));
        Tensor loss = Ops.scale(Ops.sum(Ops.mul(err, err)), 1f / ROWS);
        if (arch.equals("standard")) {
            Tensor norms = TestOps.repeatRows(TestOps.rowNorms(wDec), ROWS);
            loss = Ops.add(loss, Ops.scale(Ops.sum(Ops.mul(f, norms)), COEF / ROWS));
        }
        if (aux) {
            Tensor a = Ops.mul(preT, Tensor.of(auxMask, ROWS, N));
            float[] e = err.data().clone();
            Tensor diff = Ops.add(Ops.linear(a, wDecT, null), Tensor.of(e, ROWS, D)); // ê − (x − x̂), x − x̂ held fixed
            float scale = AUX * Math.min(1f, (N / 2f) / K);
            loss = Ops.add(loss, Ops.scale(Ops.sum(Ops.mul(diff, diff)), scale / ROWS));
        }
        Autograd.backward(loss);
        assertClose(wEncT.grad().data(), g.wEncT(), arch + " W_enc");
        assertClose(bEnc.grad().data(), g.bEnc(), arch + " b_enc");
        assertClose(wDec.grad().data(), g.wDec(), arch + " W_dec");
        assertClose(bDec.grad().data(), g.bDec(), arch + " b_dec");
    }

    /** JumpReLU's threshold pseudo-gradient, computed by hand from the paper's definition. */
    @Test
    void jumpReluThresholdGradientIsTheRectangleKernelPseudoDerivative() {
        SaeConfig cfg = new SaeConfig("jumprelu", 2, 2, "h", 0, "", 0, false, "none", 0);
        // W_enc = identity, W_dec = identity, biases 0: pre = x, f = x·H(x − θ), x̂ = f
        Sae s = new Sae(cfg, new float[] {1, 0, 0, 1}, new float[2], new float[] {1, 0, 0, 1}, new float[2], new float[] {0.5f, 0.5f});
        float eps = 0.1f, lambda = 0.2f;
        float[] x = {0.52f, 0.3f, 0.48f, 0.9f}; // rows (0.52, 0.3), (0.48, 0.9): latent 0 is inside the band in both rows
        Grads g = Grads.zerosLike(s);
        TrainStep.run(s, x, 2, lambda, eps, null, 0, 1, g, null, null);
        // row 0: active, err = 0 → upstream 0; only the L0 term: −λ/B · 1/ε
        // row 1: inactive, err = x̂ − x = −0.48 → upstream 2·(−0.48)/B; ∂f/∂θ = −θ/ε; plus the L0 term
        double b = 2, expected = (-lambda / b / eps) + (2 * -0.48 / b) * (-0.5 / eps) + (-lambda / b / eps);
        assertEquals(expected, g.threshold()[0], 1e-5);
        assertEquals(0, g.threshold()[1], 0, "latent 1 is never within ε/2 of its threshold");
    }

    private static float[] ones(SparseCodes c) {
        float[] m = new float[c.rows() * c.dSae()];
        for (int r = 0; r < c.rows(); r++) for (int p = c.rowStart()[r]; p < c.rowStart()[r + 1]; p++) m[r * c.dSae() + c.index()[p]] = 1;
        return m;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        double max = 1e-6;
        for (float v : expected) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * max, what + "[" + i + "]");
        }
    }
}
