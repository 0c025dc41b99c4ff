package dev.unroll.autodiff;

import java.util.Arrays;

/** Shape arithmetic: sizes, row-major strides, NumPy broadcasting, axis normalisation. */
public final class Shape {
  private Shape() {}

  /** Number of elements, Π shape[i] (1 for a scalar). */
  public static int numel(int[] shape) {
    long n = 1;
    for (int s : shape) {
      if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
      n *= s;
    }
    if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
    return (int) n;
  }

  /** Row-major strides: stride[i] = Π_{j&gt;i} shape[j]. */
  public static int[] contiguousStrides(int[] shape) {
    int[] st = new int[shape.length];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      st[i] = s;
      s *= shape[i];
    }
    return st;
  }

  /**
   * NumPy broadcasting: shapes are aligned on the right; each pair of dimensions must be equal or
   * one of them 1. The error names the op and both shapes.
   */
  public static int[] broadcast(String op, int[] a, int[] b) {
    int n = Math.max(a.length, b.length);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int da = i < n - a.length ? 1 : a[i - (n - a.length)];
      int db = i < n - b.length ? 1 : b[i - (n - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /** Strides of a tensor viewed as broadcast to {@code target}: 0 for broadcast dimensions. */
  public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
    int[] st = new int[target.length];
    int off = target.length - shape.length;
    for (int i = 0; i < shape.length; i++) {
      st[off + i] = shape[i] == 1 && target[off + i] != 1 ? 0 : strides[i];
    }
    return st;
  }

  /** Maps a possibly negative axis into [0, rank). */
  public static int axis(int axis, int rank, String op) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) throw new IllegalArgumentException(op + ": axis " + axis + " out of range for rank " + rank);
    return a;
  }

  /** Sorted, de-duplicated, normalised axes; an empty array means all axes. */
  public static int[] axes(int[] axes, int rank, String op) {
    if (axes.length == 0) {
      int[] all = new int[rank];
      for (int i = 0; i < rank; i++) all[i] = i;
      return all;
    }
    boolean[] seen = new boolean[rank];
    for (int a : axes) seen[axis(a, rank, op)] = true;
    int count = 0;
    for (boolean b : seen) if (b) count++;
    int[] out = new int[count];
    for (int i = 0, k = 0; i < rank; i++) if (seen[i]) out[k++] = i;
    return out;
  }

  public static String str(int[] shape) {
    return Arrays.toString(shape);
  }
}
