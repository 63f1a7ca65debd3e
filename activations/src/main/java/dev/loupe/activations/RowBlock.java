package dev.loupe.activations;

/**
 * Rows held column by column in memory, in each column's stored byte form (little-endian): the unit that
 * collection fills, shards are written from and read into, and the shuffle gathers into.
 */
public final class RowBlock {
    private final StoreLayout layout;
    private final byte[][] cols;
    private final int capacity;
    private int rows;

    public RowBlock(StoreLayout layout, int capacity) {
        this.layout = layout;
        this.capacity = capacity;
        this.cols = new byte[layout.size()][];
        for (int c = 0; c < layout.size(); c++) cols[c] = new byte[Math.multiplyExact(capacity, layout.get(c).rowBytes())];
    }

    public StoreLayout layout() {
        return layout;
    }

    public int capacity() {
        return capacity;
    }

    public int rows() {
        return rows;
    }

    public boolean full() {
        return rows == capacity;
    }

    /** Sets the number of valid rows (after filling the columns directly). */
    public void rows(int n) {
        if (n < 0 || n > capacity) throw new IllegalArgumentException("rows " + n + " outside [0, " + capacity + "]");
        rows = n;
    }

    /** Column {@code c}'s bytes (capacity rows; the first {@link #rows()} are valid). */
    public byte[] column(int c) {
        return cols[c];
    }

    /** Hash of row {@code r} (see {@link RowHash}). */
    public long rowHash(int r) {
        long h = RowHash.seed();
        for (int c = 0; c < cols.length; c++) {
            int rb = layout.get(c).rowBytes();
            h = RowHash.update(h, cols[c], r * rb, rb);
        }
        return RowHash.finish(h);
    }

    /** Sum of the hashes of the valid rows. */
    public long digest() {
        long sum = 0;
        for (int r = 0; r < rows; r++) sum += rowHash(r);
        return sum;
    }

    /** Copies row {@code r} as one record into {@code dst} at {@code off} (columns in layout order). */
    public void toRecord(int r, byte[] dst, int off) {
        for (int c = 0; c < cols.length; c++) {
            int rb = layout.get(c).rowBytes();
            System.arraycopy(cols[c], r * rb, dst, off, rb);
            off += rb;
        }
    }

    /** Appends the record at {@code src[off..]} as a new row. */
    public void appendRecord(byte[] src, int off) {
        if (rows == capacity) throw new IllegalStateException("row block is full (" + capacity + " rows)");
        for (int c = 0; c < cols.length; c++) {
            int rb = layout.get(c).rowBytes();
            System.arraycopy(src, off, cols[c], rows * rb, rb);
            off += rb;
        }
        rows++;
    }

    /** Appends rows {@code [from, from + n)} of {@code src} (same layout). */
    public void append(RowBlock src, int from, int n) {
        if (rows + n > capacity) throw new IllegalStateException("row block overflow: " + (rows + n) + " > " + capacity);
        for (int c = 0; c < cols.length; c++) {
            int rb = layout.get(c).rowBytes();
            System.arraycopy(src.cols[c], from * rb, cols[c], rows * rb, n * rb);
        }
        rows += n;
    }

    public void clear() {
        rows = 0;
    }
}
