package dev.loupe.cli;

import dev.loupe.core.Tensor;
import dev.loupe.model.tokenizer.TokenText;
import java.util.List;

/**
 * Renders a [rows, cols] grid for the terminal: an aligned table of numbers, and a heatmap of shade
 * characters (darker = larger magnitude, '-' marks negative cells) for grids too wide to read as numbers.
 */
final class TextGrid {
    private static final String SHADES = " ·░▒▓█";

    private TextGrid() {}

    /** Numbers with row labels on the left and column labels on top. */
    static String table(Tensor t, List<String> rowLabels, List<String> colLabels, String format) {
        String[][] cells = new String[t.size(0)][t.size(1)];
        for (int r = 0; r < cells.length; r++) for (int c = 0; c < cells[r].length; c++) cells[r][c] = String.format(format, t.get(r, c));
        return table(cells, rowLabels, colLabels);
    }

    /** Text cells with row labels on the left and column labels on top; each column as wide as its widest entry. */
    static String table(String[][] cells, List<String> rowLabels, List<String> colLabels) {
        int[] width = new int[colLabels.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = colLabels.get(c).length();
            for (String[] row : cells) width[c] = Math.max(width[c], row[c].length());
        }
        int labelWidth = rowLabels.stream().mapToInt(String::length).max().orElse(0);
        StringBuilder sb = new StringBuilder(" ".repeat(labelWidth));
        for (int c = 0; c < width.length; c++) sb.append("  ").append(pad(colLabels.get(c), width[c]));
        sb.append('\n');
        for (int r = 0; r < cells.length; r++) {
            sb.append(pad(rowLabels.get(r), labelWidth));
            for (int c = 0; c < width.length; c++) sb.append("  ").append(pad(cells[r][c], width[c]));
            sb.append('\n');
        }
        return sb.toString();
    }

    /** One shade character per cell, scaled to the largest magnitude in the grid (given in the footer). */
    static String heatmap(Tensor t, List<String> rowLabels) {
        double max = 0;
        for (float v : t.data()) max = Math.max(max, Math.abs(v));
        int labelWidth = rowLabels.stream().mapToInt(String::length).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < t.size(0); r++) {
            sb.append(pad(rowLabels.get(r), labelWidth)).append(" |");
            for (int c = 0; c < t.size(1); c++) {
                float v = t.get(r, c);
                int level = max == 0 ? 0 : (int) Math.round(Math.abs(v) / max * (SHADES.length() - 1));
                sb.append(v < 0 && level > 0 ? '-' : SHADES.charAt(level));
            }
            sb.append("|\n");
        }
        sb.append(String.format("(shade scale: '█' = %.3g in magnitude, '-' = negative)%n", max));
        return sb.toString();
    }

    /** Right-aligns {@code s} in {@code width} columns. */
    static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    /** A token's text made visible ({@link TokenText#visible}: '·' for a space, '↵' for a newline) and cut to {@code max} characters. */
    static String piece(String text, int max) {
        String p = TokenText.visible(text);
        return p.length() <= max ? p : p.substring(0, max - 1) + "…";
    }
}
