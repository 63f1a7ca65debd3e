package dev.loupe.server.sae;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.server.http.Body;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Read-only access to a feature store ({@code loupe sae features}: SQLite, tables meta, features, histogram,
 * examples, logit_effects; see docs/sae.md) for the feature dashboards: one feature's statistics, activation
 * histogram, top activating contexts and logit effects, as JSON. Opened once at start-up; queries are
 * serialized on the one connection.
 */
public final class FeatureStore {
    private final Connection db;

    private FeatureStore(Connection db) {
        this.db = db;
    }

    public static FeatureStore open(Path file) throws IOException {
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + file.toAbsolutePath() + "?mode=ro");
            return new FeatureStore(c);
        } catch (SQLException e) {
            throw new IOException(file + ": cannot open the feature store: " + e.getMessage(), e);
        }
    }

    /** The dashboard of feature {@code id}, or null when the store does not know it. */
    public synchronized ObjectNode feature(int id) {
        try {
            ObjectNode o = Body.JSON.createObjectNode();
            try (PreparedStatement s = db.prepareStatement("SELECT fire_count, frequency, mean_act, max_act FROM features WHERE id = ?")) {
                s.setInt(1, id);
                ResultSet r = s.executeQuery();
                if (!r.next()) return null;
                o.put("id", id).put("fire_count", r.getLong(1)).put("frequency", r.getDouble(2)).put("mean_act", r.getDouble(3)).put("max_act", r.getDouble(4));
            }
            ArrayNode hist = o.putArray("histogram");
            try (PreparedStatement s = db.prepareStatement("SELECT lo, hi, count FROM histogram WHERE feature = ? ORDER BY bin")) {
                s.setInt(1, id);
                ResultSet r = s.executeQuery();
                while (r.next()) hist.addObject().put("lo", r.getDouble(1)).put("hi", r.getDouble(2)).put("count", r.getLong(3));
            }
            ArrayNode ex = o.putArray("examples");
            try (PreparedStatement s = db.prepareStatement("SELECT activation, center, token_ids, tokens, acts FROM examples WHERE feature = ? ORDER BY rank")) {
                s.setInt(1, id);
                ResultSet r = s.executeQuery();
                while (r.next()) {
                    ObjectNode e = ex.addObject().put("activation", r.getDouble(1)).put("center", r.getInt(2));
                    e.set("token_ids", Body.JSON.readTree(r.getString(3)));
                    e.set("tokens", Body.JSON.readTree(r.getString(4)));
                    e.set("acts", Body.JSON.readTree(r.getString(5)));
                }
            }
            ObjectNode logits = o.putObject("logit_effects");
            ArrayNode pos = logits.putArray("positive"), neg = logits.putArray("negative");
            try (PreparedStatement s = db.prepareStatement("SELECT sign, token_id, token, value FROM logit_effects WHERE feature = ? ORDER BY sign DESC, rank")) {
                s.setInt(1, id);
                ResultSet r = s.executeQuery();
                while (r.next()) (r.getInt(1) > 0 ? pos : neg).addObject().put("token_id", r.getInt(2)).put("token", r.getString(3)).put("value", r.getDouble(4));
            }
            return o;
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("feature store query failed for feature " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Features whose top contexts or promoted tokens contain {@code text} (case-insensitive for ASCII), most matches
     * first: [{id, frequency, max_act, matches}].
     */
    public synchronized ArrayNode search(String text, int limit) {
        String like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        ArrayNode a = Body.JSON.createArrayNode();
        try (PreparedStatement s = db.prepareStatement("""
                SELECT f.id, f.frequency, f.max_act, m.n FROM features f JOIN (
                  SELECT feature, COUNT(*) AS n FROM (
                    SELECT feature FROM examples WHERE tokens LIKE ? ESCAPE '\\'
                    UNION ALL SELECT feature FROM logit_effects WHERE sign > 0 AND token LIKE ? ESCAPE '\\')
                  GROUP BY feature) m ON f.id = m.feature
                ORDER BY m.n DESC, f.max_act DESC LIMIT ?""")) {
            s.setString(1, like);
            s.setString(2, like);
            s.setInt(3, limit);
            ResultSet r = s.executeQuery();
            while (r.next()) a.addObject().put("id", r.getInt(1)).put("frequency", r.getDouble(2)).put("max_act", r.getDouble(3)).put("matches", r.getInt(4));
            return a;
        } catch (SQLException e) {
            throw new IllegalStateException("feature store search failed: " + e.getMessage(), e);
        }
    }

    /** The most frequently firing features: [{id, frequency, max_act}]. */
    public synchronized ArrayNode top(int limit) {
        ArrayNode a = Body.JSON.createArrayNode();
        try (PreparedStatement s = db.prepareStatement("SELECT id, frequency, max_act FROM features ORDER BY frequency DESC LIMIT ?")) {
            s.setInt(1, limit);
            ResultSet r = s.executeQuery();
            while (r.next()) a.addObject().put("id", r.getInt(1)).put("frequency", r.getDouble(2)).put("max_act", r.getDouble(3));
            return a;
        } catch (SQLException e) {
            throw new IllegalStateException("feature store query failed: " + e.getMessage(), e);
        }
    }
}
