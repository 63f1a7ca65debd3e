package dev.loupe.model.format;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A resumable job's settings as one line of {@code name=value} pairs (a record's {@code toString()}), saved with its
 * checkpoint. Resuming under other settings is refused by naming the first field that differs, so a changed
 * learning rate or seed is an error that says which, instead of a run that silently mixes two configurations.
 */
public final class RunFingerprint {
    private static final Pattern PAIR = Pattern.compile("(\\w+)=([^,\\[\\]\\s]*)");

    private RunFingerprint() {}

    /**
     * Null when {@code saved} equals {@code current}; otherwise "field: the checkpoint has X, this run has Y" for the
     * first field that differs (or both whole lines when no single field does).
     */
    public static String firstDifference(String saved, String current) {
        if (current.equals(saved)) return null;
        if (saved == null) return "the checkpoint records no settings";
        List<String[]> a = pairs(saved), b = pairs(current);
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i)[0].equals(b.get(i)[0])) break;
            if (!a.get(i)[1].equals(b.get(i)[1])) {
                return a.get(i)[0] + ": the checkpoint has " + a.get(i)[1] + ", this run has " + b.get(i)[1];
            }
        }
        return "the checkpoint was made with\n  " + saved + "\nbut this run is\n  " + current;
    }

    private static List<String[]> pairs(String line) {
        List<String[]> out = new ArrayList<>();
        Matcher m = PAIR.matcher(line);
        while (m.find()) out.add(new String[] {m.group(1), m.group(2)});
        return out;
    }
}
