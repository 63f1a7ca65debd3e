package dev.loupe.activations;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** The provenance columns' little-endian I32 and I64 values in a byte array. */
public final class IntCodec {
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private IntCodec() {}

    public static void putInt(byte[] b, int off, int v) {
        I32.set(b, off, v);
    }

    public static int getInt(byte[] b, int off) {
        return (int) I32.get(b, off);
    }

    public static void putLong(byte[] b, int off, long v) {
        I64.set(b, off, v);
    }

    public static long getLong(byte[] b, int off) {
        return (long) I64.get(b, off);
    }
}
