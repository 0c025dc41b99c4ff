package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * Image rotation about the centre with bilinear interpolation and zero fill (Rotated MNIST).
 *
 * <p>For an H×W image with centre (c_x, c_y) = ((W−1)/2, (H−1)/2), output pixel (x, y) (column x,
 * row y, rows growing downwards) takes the input value at
 * <pre>
 *   x' = c_x + cos θ (x − c_x) − sin θ (y − c_y)
 *   y' = c_y + sin θ (x − c_x) + cos θ (y − c_y)
 * </pre>
 * interpolated bilinearly from the four surrounding pixels, where pixels outside the image count
 * as 0. A positive θ turns the picture counter-clockwise as displayed: θ = 90° gives
 * out[y][x] = in[x][W−1−y] (numpy's rot90). Angles that are multiples of 90° use exact cos/sin.
 */
public final class Rotation {
  private Rotation() {}

  /**
   * Every image of {@code d} rotated by {@code angleDegrees}. Inputs per example may be [C, H, W],
   * [H, W], or a flat [H·W] with H = W. The result keeps the shape, dtype, targets and indices
   * of {@code d} and is named {@code name@angle}.
   */
  public static Dataset rotated(Dataset d, double angleDegrees) {
    int[] s = d.inputShape();
    int channels, h, w;
    if (s.length == 3) {
      channels = s[0];
      h = s[1];
      w = s[2];
    } else if (s.length == 2) {
      channels = 1;
      h = s[0];
      w = s[1];
    } else if (s.length == 1 && isSquare(s[0])) {
      channels = 1;
      h = w = (int) Math.round(Math.sqrt(s[0]));
    } else {
      throw new IllegalArgumentException("rotate: data set '" + d.name() + "' has inputs of shape " + Arrays.toString(s) + ", not [C, H, W], [H, W] or a square [H*W]");
    }
    double[] cs = cosSin(angleDegrees);
    Tensor x = d.x();
    int images = d.size() * channels, plane = h * w;
    Tensor out;
    if (x.dtype() == DType.F32) {
      float[] src = x.toFloatArray(), dst = new float[src.length];
      for (int i = 0; i < images; i++) rotate(src, i * plane, dst, i * plane, h, w, cs[0], cs[1]);
      out = Tensor.of(dst, x.shape());
    } else {
      double[] src = x.toDoubleArray(), dst = new double[src.length];
      for (int i = 0; i < images; i++) rotate(src, i * plane, dst, i * plane, h, w, cs[0], cs[1]);
      out = Tensor.of(dst, x.shape());
    }
    return d.withInputs(out).withName(d.name() + "@" + formatAngle(angleDegrees));
  }

  private static boolean isSquare(int n) {
    int r = (int) Math.round(Math.sqrt(n));
    return r * r == n;
  }

  private static String formatAngle(double a) {
    return a == Math.rint(a) ? Long.toString((long) a) : Double.toString(a);
  }

  /** {cos θ, sin θ}, exact for multiples of 90°. */
  static double[] cosSin(double degrees) {
    double q = degrees / 90.0;
    if (q == Math.rint(q)) {
      int k = (int) Math.floorMod((long) q, 4L);
      return switch (k) {
        case 0 -> new double[] {1, 0};
        case 1 -> new double[] {0, 1};
        case 2 -> new double[] {-1, 0};
        default -> new double[] {0, -1};
      };
    }
    double t = Math.toRadians(degrees);
    return new double[] {Math.cos(t), Math.sin(t)};
  }

  /** Rotates the h×w image at src[so..] into dst[do..] (see the class comment); allocation-free. */
  static void rotate(float[] src, int so, float[] dst, int dOff, int h, int w, double cos, double sin) {
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int y = 0; y < h; y++) {
      double dy = y - cy;
      for (int x = 0; x < w; x++) {
        double dx = x - cx;
        double xs = cx + cos * dx - sin * dy, ys = cy + sin * dx + cos * dy;
        int x0 = (int) Math.floor(xs), y0 = (int) Math.floor(ys);
        double fx = xs - x0, fy = ys - y0;
        double v00 = at(src, so, h, w, y0, x0), v01 = at(src, so, h, w, y0, x0 + 1);
        double v10 = at(src, so, h, w, y0 + 1, x0), v11 = at(src, so, h, w, y0 + 1, x0 + 1);
        double top = fx == 0 ? v00 : v00 + fx * (v01 - v00), bottom = fx == 0 ? v10 : v10 + fx * (v11 - v10);
        dst[dOff + y * w + x] = (float) (fy == 0 ? top : top + fy * (bottom - top));
      }
    }
  }

  /** The float64 twin of {@link #rotate(float[], int, float[], int, int, int, double, double)}. */
  static void rotate(double[] src, int so, double[] dst, int dOff, int h, int w, double cos, double sin) {
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int y = 0; y < h; y++) {
      double dy = y - cy;
      for (int x = 0; x < w; x++) {
        double dx = x - cx;
        double xs = cx + cos * dx - sin * dy, ys = cy + sin * dx + cos * dy;
        int x0 = (int) Math.floor(xs), y0 = (int) Math.floor(ys);
        double fx = xs - x0, fy = ys - y0;
        double v00 = at(src, so, h, w, y0, x0), v01 = at(src, so, h, w, y0, x0 + 1);
        double v10 = at(src, so, h, w, y0 + 1, x0), v11 = at(src, so, h, w, y0 + 1, x0 + 1);
        double top = fx == 0 ? v00 : v00 + fx * (v01 - v00), bottom = fx == 0 ? v10 : v10 + fx * (v11 - v10);
        dst[dOff + y * w + x] = fy == 0 ? top : top + fy * (bottom - top);
      }
    }
  }

  private static double at(float[] a, int off, int h, int w, int y, int x) {
    return y < 0 || y >= h || x < 0 || x >= w ? 0 : a[off + y * w + x];
  }

  private static double at(double[] a, int off, int h, int w, int y, int x) {
    return y < 0 || y >= h || x < 0 || x >= w ? 0 : a[off + y * w + x];
  }
}
