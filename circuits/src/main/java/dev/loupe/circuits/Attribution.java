package dev.loupe.circuits;

import dev.loupe.core.Tensor;
import dev.loupe.core.kernels.Sgemm;
import dev.loupe.model.HookedTransformer;
import dev.loupe.sae.Vec;
import dev.loupe.sae.transcoder.Transcoders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds attribution graphs with circuit-tracer's semantics, in phases (P positions, L layers, d = d_model,
 * F active features, T = logit targets, B targets per backward pass):
 * <ol>
 *   <li><b>Freeze</b>: one real forward pass, keeping norm scales, attention patterns and MLP inputs and outputs
 *       ({@link LocalReplacementModel#of}). Cost O(forward); memory O(L · H · P²) for the patterns.</li>
 *   <li><b>Features</b>: encode every layer's MLP input, list the active features and the reconstruction errors
 *       ({@link ActiveFeatures#of}). Cost O(L · P · d · d_tc).</li>
 *   <li><b>Logit rows</b>: the T logit targets (demeaned unembedding columns read after the final norm) in
 *       ⌈T/B⌉ batched backward passes.</li>
 *   <li><b>Feature rows</b>: each visited feature's row (its encoder row read at its layer and position), B per
 *       backward pass; with a feature budget below F, features are visited in order of their influence on the
 *       logits as estimated from the rows computed so far. Cost per pass O(B · L · (P · d² + H · P² · d_head)),
 *       ⌈visited/B⌉ passes.</li>
 *   <li><b>Contract</b>: each pass's gradients at every MLP output and at the embeddings are contracted with the
 *       sources' vectors — a feature's activation × decoder row, an error vector, a token embedding — one small
 *       GEMM per (layer, position). Cost O(B · (F + L · P) · d) per pass.</li>
 *   <li><b>Assemble</b>: the rows of the selected features (ascending) and the logits, columns reduced to the
 *       selected features. Memory O(n²) for the dense adjacency, n = selected + (L + 1) · P + T.</li>
 * </ol>
 */
public final class Attribution {
    private final LocalReplacementModel m;
    private final ActiveFeatures af;
    private final Transcoders tc;
    private final int pos, d, nLayers, fullCols;
    private final float[][][] decoders; // [source layer][out layer - source layer]: activation × decoder rows [n_s, d]

    private Attribution(LocalReplacementModel m) {
        this.m = m;
        this.tc = m.transcoders();
        this.af = ActiveFeatures.of(m);
        this.pos = m.positions();
        this.d = tc.dModel();
        this.nLayers = tc.nLayers();
        this.fullCols = af.size() + (nLayers + 1) * pos;
        decoders = new float[nLayers][][];
        for (int s = 0; s < nLayers; s++) {
            int a = af.layerStart()[s], n = af.layerStart()[s + 1] - a, last = tc.lastOutputLayer(s);
            decoders[s] = new float[last - s + 1][];
            for (int t = s; t <= last; t++) {
                float[] dec = new float[n * d];
                for (int i = 0; i < n; i++) tc.addDecoder(s, af.feature()[a + i], t, af.value()[a + i], dec, i * d);
                decoders[s][t - s] = dec;
            }
        }
    }

    /** {@code ids} with {@code bos} first unless it is there already (circuit-tracer always starts from BOS; its features are zeroed). */
    public static int[] withBos(java.util.OptionalInt bos, int[] ids) {
        if (bos.isEmpty() || (ids.length > 0 && ids[0] == bos.getAsInt())) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos.getAsInt();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Phases 1–2 for {@code m}: the active features and decoder blocks, ready for {@link #rows}. */
    static Attribution of(LocalReplacementModel m) {
        return new Attribution(m);
    }

    ActiveFeatures features() {
        return af;
    }

    /** The attribution graph of {@code tokens} (used as given: put BOS first yourself). */
    public static AttributionGraph graph(HookedTransformer model, Transcoders transcoders, int[] tokens, AttributionOptions opt) {
        return new Attribution(LocalReplacementModel.of(model, transcoders, tokens)).build(opt);
    }

    private AttributionGraph build(AttributionOptions opt) {
        LogitTargets logits = LogitTargets.of(m, opt.maxNLogits(), opt.desiredLogitProb());
        int nLogits = logits.tokens().length;
        float[][] logitRows = new float[nLogits][];
        for (int a = 0; a < nLogits; a += opt.batchSize()) {
            List<LocalReplacementModel.Target> batch = new ArrayList<>();
            for (int j = a; j < Math.min(nLogits, a + opt.batchSize()); j++) batch.add(new LocalReplacementModel.Target(LocalReplacementModel.Read.FINAL, nLayers, pos - 1, logits.directions()[j]));
            float[][] rows = rows(batch);
            System.arraycopy(rows, 0, logitRows, a, rows.length);
        }
        int nActive = af.size();
        float[][] featureRows = new float[nActive][];
        int budget = Math.min(opt.maxFeatureNodes(), nActive);
        if (budget == nActive) {
            for (int a = 0; a < nActive; a += opt.batchSize()) visit(range(a, Math.min(nActive, a + opt.batchSize())), featureRows);
        } else {
            int visited = 0;
            while (visited < budget) {
                double[] influence = Influence.partialFeatureInfluence(logitRows, logits.probabilities(), featureRows, nActive);
                int[] next = topUnvisited(influence, featureRows, Math.min(opt.batchSize(), budget - visited));
                visit(next, featureRows);
                visited += next.length;
            }
        }
        return assemble(logits, logitRows, featureRows);
    }

    private static int[] range(int a, int b) {
        int[] r = new int[b - a];
        for (int i = 0; i < r.length; i++) r[i] = a + i;
        return r;
    }

    private static int[] topUnvisited(double[] influence, float[][] rows, int k) {
        Integer[] order = new Integer[influence.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(influence[y], influence[x]));
        int[] out = new int[k];
        int n = 0;
        for (int i = 0; i < order.length && n < k; i++) if (rows[order[i]] == null) out[n++] = order[i];
        return Arrays.copyOf(out, n);
    }

    private void visit(int[] features, float[][] featureRows) {
        List<LocalReplacementModel.Target> batch = new ArrayList<>();
        for (int i : features) {
            int l = af.layer()[i];
            float[] enc = Arrays.copyOfRange(tc.encoder(l).data(), af.feature()[i] * d, (af.feature()[i] + 1) * d);
            batch.add(new LocalReplacementModel.Target(LocalReplacementModel.Read.MLP_INPUT, l, af.position()[i], enc));
        }
        float[][] rows = rows(batch);
        for (int j = 0; j < features.length; j++) featureRows[features[j]] = rows[j];
    }

    /** One backward pass for {@code batch}, contracted to full rows over [active features, errors, tokens]. */
    float[][] rows(List<LocalReplacementModel.Target> batch) {
        int b = batch.size();
        LocalReplacementModel.Gradients g = m.backward(batch);
        float[][] out = new float[b][fullCols];
        int nActive = af.size();
        for (int t = 0; t < nLayers; t++) {
            Tensor gt = g.residual()[t];
            if (gt == null) continue;
            float[] gd = gt.data();
            for (int s = 0; s <= t; s++) {
                if (tc.lastOutputLayer(s) < t) continue;
                float[] dec = decoders[s][t - s];
                int base = af.layerStart()[s];
                for (int p = 1; p < pos; p++) {
                    int a = af.firstAt(s, p), e = af.firstAt(s, p + 1), n = e - a;
                    if (n == 0) continue;
                    float[] tmp = new float[b * n];
                    Sgemm.sgemm(false, true, b, n, d, 1f, gd, p * d, pos * d, dec, (a - base) * d, d, 0f, tmp, 0, n);
                    for (int j = 0; j < b; j++) for (int k = 0; k < n; k++) out[j][a + k] += tmp[j * n + k];
                }
            }
            float[] err = af.errors()[t];
            for (int j = 0; j < b; j++) {
                for (int p = 0; p < pos; p++) out[j][nActive + t * pos + p] = Vec.dot(gd, (j * pos + p) * d, err, p * d, d);
            }
        }
        float[] ge = g.embedding().data();
        for (int p = 0; p < pos; p++) {
            float[] tok = m.tokenVector(p);
            for (int j = 0; j < b; j++) out[j][nActive + nLayers * pos + p] = Vec.dot(ge, (j * pos + p) * d, tok, 0, d);
        }
        return out;
    }

    private AttributionGraph assemble(LogitTargets logits, float[][] logitRows, float[][] featureRows) {
        int nActive = af.size(), nSel = 0;
        for (float[] r : featureRows) if (r != null) nSel++;
        int[] selected = new int[nSel];
        int k = 0;
        for (int i = 0; i < nActive; i++) if (featureRows[i] != null) selected[k++] = i;
        int nLogits = logitRows.length, rest = (nLayers + 1) * pos, n = nSel + rest + nLogits;
        if ((long) n * n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a dense adjacency of " + n + " nodes does not fit one array; lower --max-feature-nodes");
        }
        float[] adj = new float[n * n];
        for (int r = 0; r < nSel; r++) copyRow(featureRows[selected[r]], selected, nActive, rest, adj, r * n);
        for (int j = 0; j < nLogits; j++) copyRow(logitRows[j], selected, nActive, rest, adj, (nSel + rest + j) * n);
        int[] layer = af.layer().clone(), position = af.position().clone(), feature = af.feature().clone();
        return new AttributionGraph(m.tokens(), nLayers, layer, position, feature, af.value().clone(), selected, logits.tokens(),
                logits.probabilities(), adj, tc.scan());
    }

    private static void copyRow(float[] full, int[] selected, int nActive, int rest, float[] adj, int off) {
        for (int c = 0; c < selected.length; c++) adj[off + c] = full[selected[c]];
        System.arraycopy(full, nActive, adj, off + selected.length, rest);
    }
}
