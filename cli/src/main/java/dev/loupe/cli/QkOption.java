package dev.loupe.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.circuits.QkAttribution;
import dev.loupe.circuits.QkJson;
import dev.loupe.model.LoadedModel;
import dev.loupe.model.format.Json;
import dev.loupe.sae.transcoder.Transcoders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code loupe attribute --qk LAYER.HEAD@QPOS,KPOS}: QK attribution instead of a graph — one head's attention score
 * between a query and a key position split over pairs of nodes (query side × key side). Prints the top pairs and,
 * with {@code --out DIR}, writes {@code DIR/qk.json} ({@link QkJson}).
 */
record QkOption(int layer, int head, int query, int key) {
    static final String FILE = "qk.json";
    private static final Pattern FORM = Pattern.compile("(\\d+)\\.(\\d+)@(\\d+),(\\d+)");

    static QkOption parse(String s) {
        Matcher m = FORM.matcher(s.trim());
        if (!m.matches()) throw new Args.UsageException("attribute: --qk expects LAYER.HEAD@QUERY_POS,KEY_POS (e.g. 1.2@11,5), got '" + s + "'");
        return new QkOption(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)));
    }

    /** Attributes the score, prints the {@code top} pairs and each side's top sources, writes qk.json into {@code out} when given. */
    int run(LoadedModel m, Transcoders tc, int[] ids, int top, int batchSize, IntFunction<String> text, Path out) throws IOException {
        QkAttribution qk;
        try {
            qk = QkAttribution.of(m.transformer(), tc, ids, layer, head, query, key, batchSize);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("attribute --qk: " + e.getMessage());
        }
        ObjectNode json = QkJson.of(qk, top, text);
        System.out.printf("layer %d head %d: query @%d '%s', key @%d '%s': score %.5f (scale %.4f; bias terms %.5f)%n", layer, head, query,
                TextGrid.piece(json.get("query_token").asText(), 14), key, TextGrid.piece(json.get("key_token").asText(), 14), qk.score(), qk.scale(),
                json.get("bias_term").asDouble());
        System.out.println("top pairs (query source × key source):");
        json.get("pairs").forEach(p -> System.out.printf("  %+.5f  %-22s × %s%n", p.get("value").asDouble(), p.get("query").get("label").asText(),
                p.get("key").get("label").asText()));
        if (out != null) {
            Files.createDirectories(out);
            Json.write(out.resolve(FILE), json);
            System.err.println("wrote " + out.resolve(FILE));
        }
        return 0;
    }
}
