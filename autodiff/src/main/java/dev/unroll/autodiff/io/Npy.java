package dev.unroll.autodiff.io;

import dev.unroll.autodiff.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's .npy format, for score matrices and other arrays that Python tools read with
 * {@code numpy.load}. Layout: the magic {@code \x93NUMPY}, a major and a minor version byte, the
 * header length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), an ASCII Python
 * dict literal {@code {'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }} padded with
 * spaces and ended by a newline so the data starts at a multiple of 64 bytes, then the data.
 *
 * <p>Written files are version 1.0, C (row-major) order, descr {@code <f4}, {@code <f8},
 * {@code <i4} or {@code <i8}, written atomically. Reading accepts versions 1.0-3.0 with those
 * descrs in C order.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int ALIGN = 64;

  private Npy() {}

  /** Writes a float tensor. */
  public static void write(Path file, Tensor t) {
    write(file, ArrayData.of(t));
  }

  /** Writes an int32 array of the given shape. */
  public static void writeInts(Path file, int[] values, int... shape) {
    write(file, ArrayData.ofInts(values, shape));
  }

  /** Writes an array, atomically. */
  public static void write(Path file, ArrayData a) {
    byte[] header = header(a.type(), a.shape());
    AtomicFiles.write(file, out -> {
      out.write(header);
      LittleEndian.write(out, a);
    });
  }

  /** Magic, version 1.0, length and padded dict: a multiple of 64 bytes. */
  static byte[] header(ElementType type, int[] shape) {
    StringBuilder s = new StringBuilder("{'descr': '").append(type.npyDescr).append("', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]);
      if (shape.length == 1 || i < shape.length - 1) s.append(shape.length == 1 ? "," : ", ");
    }
    s.append("), }");
    int prefix = MAGIC.length + 2 + 2;
    int total = (prefix + s.length() + 1 + ALIGN - 1) / ALIGN * ALIGN;
    while (prefix + s.length() + 1 < total) s.append(' ');
    s.append('\n');
    int len = s.length();
    if (len > 0xFFFF) throw new IllegalArgumentException("npy header of " + len + " bytes does not fit version 1.0");
    ByteBuffer b = ByteBuffer.allocate(prefix + len).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) len).put(s.toString().getBytes(StandardCharsets.US_ASCII));
    return b.array();
  }

  /** Reads a float array as a tensor; an error for integer arrays. */
  public static Tensor readTensor(Path file) {
    ArrayData a = read(file);
    if (!a.type().isFloat()) throw new IllegalStateException(file + ": array of " + a.type().npyDescr + " is not a float tensor");
    return a.tensor();
  }

  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /**
   * Reads and validates {@code file}.
   *
   * @throws CorruptFileException naming the file and the problem: bad magic, unsupported version,
   *     header beyond the file, header not a dict with descr/fortran_order/shape, unknown descr,
   *     Fortran order, data shorter or longer than shape × element size
   */
  public static ArrayData read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (bytes.length < MAGIC.length + 2 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new CorruptFileException(file, "not a .npy file: it does not start with \\x93NUMPY");
    }
    int major = bytes[6], minor = bytes[7];
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen;
    int prefix;
    if (major == 1) {
      if (bytes.length < 10) throw new CorruptFileException(file, "truncated: " + bytes.length + " bytes, no room for the header length");
      headerLen = b.getShort(8) & 0xFFFF;
      prefix = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.length < 12) throw new CorruptFileException(file, "truncated: " + bytes.length + " bytes, no room for the header length");
      headerLen = b.getInt(8) & 0xFFFFFFFFL;
      prefix = 12;
    } else {
      throw new CorruptFileException(file, "unsupported .npy version " + major + "." + minor);
    }
    if (prefix + headerLen > bytes.length) {
      throw new CorruptFileException(file, "header length " + headerLen + " runs past the end of the file (" + (bytes.length - prefix) + " bytes follow the length field)");
    }
    String header = new String(bytes, prefix, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).trim();
    if (!header.startsWith("{") || !header.endsWith("}")) throw new CorruptFileException(file, "header is not a dict literal: " + header);
    Matcher md = DESCR.matcher(header), mf = FORTRAN.matcher(header), ms = SHAPE.matcher(header);
    if (!md.find() || !mf.find() || !ms.find()) throw new CorruptFileException(file, "header lacks descr, fortran_order or shape: " + header);
    ElementType type = ElementType.fromNpy(md.group(1));
    if (type == null) throw new CorruptFileException(file, "unknown or unsupported descr '" + md.group(1) + "' (supported: <f4, <f8, <i4, <i8)");
    if (mf.group(1).equals("True")) throw new CorruptFileException(file, "fortran_order True is not supported (write the array in C order)");
    int[] shape = parseShape(file, ms.group(1));
    long numel = 1;
    for (int s : shape) numel *= s;
    long dataStart = prefix + headerLen;
    long need = numel * type.bytes, have = bytes.length - dataStart;
    if (have < need) throw new CorruptFileException(file, "truncated: shape " + Arrays.toString(shape) + " of " + type.npyDescr + " needs " + need + " data bytes, the file holds " + have);
    if (have > need) throw new CorruptFileException(file, (have - need) + " bytes after the data of shape " + Arrays.toString(shape) + " of " + type.npyDescr);
    Object values = LittleEndian.read(b.position((int) dataStart), type, (int) numel);
    return new ArrayData(type, shape, values);
  }

  private static int[] parseShape(Path file, String inner) {
    String t = inner.trim();
    if (t.isEmpty()) return new int[0];
    if (t.endsWith(",")) t = t.substring(0, t.length() - 1);
    String[] parts = t.split(",");
    int[] shape = new int[parts.length];
    long numel = 1;
    for (int i = 0; i < parts.length; i++) {
      try {
        shape[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new CorruptFileException(file, "shape (" + inner + ") is not a tuple of integers");
      }
      if (shape[i] < 0) throw new CorruptFileException(file, "shape (" + inner + ") has a negative dimension");
      numel *= shape[i];
      if (numel > Integer.MAX_VALUE) throw new CorruptFileException(file, "shape (" + inner + ") has more than 2^31-1 elements");
    }
    return shape;
  }
}
