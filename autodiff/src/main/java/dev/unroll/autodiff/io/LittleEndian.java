package dev.unroll.autodiff.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Bulk little-endian encoding of primitive arrays, in fixed-size chunks so no whole-array byte copy is made. */
final class LittleEndian {
  private static final int CHUNK = 1 << 16;

  private LittleEndian() {}

  /** Writes the values of {@code a} little-endian, bit for bit (NaN payloads included). */
  static void write(OutputStream out, ArrayData a) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    int per = CHUNK / a.type().bytes;
    int n = a.numel();
    for (int start = 0; start < n; start += per) {
      int len = Math.min(per, n - start);
      buf.clear();
      switch (a.type()) {
        case F32 -> buf.asFloatBuffer().put((float[]) a.values(), start, len);
        case F64 -> buf.asDoubleBuffer().put((double[]) a.values(), start, len);
        case I32 -> buf.asIntBuffer().put((int[]) a.values(), start, len);
        case I64 -> buf.asLongBuffer().put((long[]) a.values(), start, len);
      }
      out.write(buf.array(), 0, len * a.type().bytes);
    }
  }

  /** Decodes {@code n} elements of {@code type} from {@code src} (little-endian, at its position) into a new array. */
  static Object read(ByteBuffer src, ElementType type, int n) {
    ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
    return switch (type) {
      case F32 -> {
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        yield v;
      }
      case F64 -> {
        double[] v = new double[n];
        b.asDoubleBuffer().get(v);
        yield v;
      }
      case I32 -> {
        int[] v = new int[n];
        b.asIntBuffer().get(v);
        yield v;
      }
      case I64 -> {
        long[] v = new long[n];
        b.asLongBuffer().get(v);
        yield v;
      }
    };
  }
}
