package dev.loupe.activations;

import dev.loupe.model.format.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * The columns every shard of a store holds, in a fixed order: one [n, d] float column per hook, then the
 * provenance of each row: {@code token} (I32), {@code doc} (I32, index of the document in the dataset),
 * {@code pos} (I32, token offset within that document's token sequence) and {@code row} (I64, the row's
 * index in the collected store, so context = row / context length). A row's record is the concatenation
 * of its slices of every column in this order (used for hashing and for the shuffle's bucket files).
 */
public record StoreLayout(List<Column> columns) implements java.io.Serializable {
    public static final String TOKEN = "token", DOC = "doc", POS = "pos", ROW = "row";

    public StoreLayout {
        columns = List.copyOf(columns);
    }

    /** The layout of a store with these hooks (name → d) stored as {@code dtype}. */
    public static StoreLayout of(List<StoreManifest.Hook> hooks, DType dtype) {
        List<Column> cols = new ArrayList<>();
        for (StoreManifest.Hook h : hooks) cols.add(new Column(h.name(), dtype, h.d()));
        cols.add(new Column(TOKEN, DType.I32, 1));
        cols.add(new Column(DOC, DType.I32, 1));
        cols.add(new Column(POS, DType.I32, 1));
        cols.add(new Column(ROW, DType.I64, 1));
        return new StoreLayout(cols);
    }

    public int size() {
        return columns.size();
    }

    public Column get(int i) {
        return columns.get(i);
    }

    /** Index of the column named {@code name}; a clear error lists the store's columns when absent. */
    public int indexOf(String name) {
        for (int i = 0; i < columns.size(); i++) if (columns.get(i).name().equals(name)) return i;
        throw new IllegalArgumentException("the store has no column '" + name + "'; it holds "
                + columns.stream().map(Column::name).toList());
    }

    /** Bytes of one row across all columns. */
    public int rowBytes() {
        int n = 0;
        for (Column c : columns) n += c.rowBytes();
        return n;
    }
}
