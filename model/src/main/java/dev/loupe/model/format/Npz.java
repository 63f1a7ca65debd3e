package dev.loupe.model.format;

import dev.loupe.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * NumPy's {@code .npz} archives ({@code numpy.savez} / {@code savez_compressed}: a zip of {@code NAME.npy} files), as
 * Gemma Scope publishes its SAEs and transcoders. Each {@code .npy} (format 1.0–3.0) is read into a float tensor:
 * little- or big-endian {@code f4}, {@code f8} and {@code f2}, C order only. Errors name the archive and the array.
 */
public final class Npz {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npz() {}

    /** Every array of {@code file}, by name (the entry name without {@code .npy}), in archive order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (entry.isDirectory() || !entry.getName().endsWith(".npy")) continue;
                String name = entry.getName().substring(0, entry.getName().length() - 4);
                try (InputStream in = zip.getInputStream(entry)) {
                    out.put(name, npy(in.readAllBytes(), file + ":" + entry.getName()));
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new FormatException(file + ": not a NumPy .npz archive (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /** One {@code .npy} file's array as float; {@code label} names it in errors. */
    public static Tensor npy(byte[] bytes, String label) throws FormatException {
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes.length <= i || bytes[i] != MAGIC[i]) throw new FormatException(label + ": not a .npy array (bad magic)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6];
        b.position(8);
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        String header = new String(bytes, b.position(), headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int data = b.position() + headerLen;
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new FormatException(label + ": unreadable .npy header " + header.strip());
        if (f.group(1).equals("True")) throw new FormatException(label + ": Fortran-order arrays are not supported; save with C order");
        char kind = d.group(2).charAt(0);
        int size = Integer.parseInt(d.group(3));
        if (kind != 'f' || (size != 2 && size != 4 && size != 8)) throw new FormatException(label + ": dtype " + d.group() + " is not a float array (f2, f4, f8)");
        List<Integer> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) if (!part.isBlank()) dims.add(Integer.parseInt(part.strip()));
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long n = 1;
        for (int v : shape) n *= v;
        if (n > Integer.MAX_VALUE || data + n * size > bytes.length) {
            throw new FormatException(label + ": shape " + dims + " needs " + n * size + " bytes of data but the file holds " + (bytes.length - data));
        }
        ByteBuffer v = ByteBuffer.wrap(bytes, data, (int) n * size).order(d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (size) {
                case 2 -> Float.float16ToFloat(v.getShort());
                case 4 -> v.getFloat();
                default -> (float) v.getDouble();
            };
        }
        return Tensor.of(out, shape.length == 0 ? new int[] {1} : shape);
    }
}
