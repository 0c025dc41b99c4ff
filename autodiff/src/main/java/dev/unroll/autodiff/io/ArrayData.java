package dev.unroll.autodiff.io;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * One array as a tensor file stores it: element type, shape and the values in row-major order in
 * a Java array of the matching kind (float[], double[], int[] or long[]).
 */
public record ArrayData(ElementType type, int[] shape, Object values) {
  public ArrayData {
    shape = shape.clone();
    long n = 1;
    for (int s : shape) {
      if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      n *= s;
    }
    int len = switch (type) {
      case F32 -> ((float[]) values).length;
      case F64 -> ((double[]) values).length;
      case I32 -> ((int[]) values).length;
      case I64 -> ((long[]) values).length;
    };
    if (len != n) throw new IllegalArgumentException(len + " values do not fit shape " + Arrays.toString(shape));
  }

  /** The values of a tensor (copied, row-major). */
  public static ArrayData of(Tensor t) {
    return t.dtype() == DType.F32
        ? new ArrayData(ElementType.F32, t.shape(), t.toFloatArray())
        : new ArrayData(ElementType.F64, t.shape(), t.toDoubleArray());
  }

  public static ArrayData ofInts(int[] values, int... shape) {
    return new ArrayData(ElementType.I32, shape, values);
  }

  public static ArrayData ofLongs(long[] values, int... shape) {
    return new ArrayData(ElementType.I64, shape, values);
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public int numel() {
    int n = 1;
    for (int s : shape) n *= s;
    return n;
  }

  /** Bytes the values take on disk. */
  public long byteSize() {
    return (long) numel() * type.bytes;
  }

  /** The values as a float32 or float64 tensor (no copy); an error for integer arrays. */
  public Tensor tensor() {
    return switch (type) {
      case F32 -> Tensor.of((float[]) values, shape);
      case F64 -> Tensor.of((double[]) values, shape);
      default -> throw new IllegalStateException("array of " + type + " is not a float tensor: use ints() or longs()");
    };
  }

  /** The values of an I32 array; an error for other types. */
  public int[] ints() {
    if (type != ElementType.I32) throw new IllegalStateException("array of " + type + ", not I32");
    return (int[]) values;
  }

  /** The values of an I64 array (I32 arrays widened); an error for float arrays. */
  public long[] longs() {
    if (type == ElementType.I64) return (long[]) values;
    if (type == ElementType.I32) return Arrays.stream((int[]) values).asLongStream().toArray();
    throw new IllegalStateException("array of " + type + ", not an integer type");
  }
}
