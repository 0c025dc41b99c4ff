package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import org.junit.jupiter.api.Test;

class RotationTest {
  static Dataset images(DType dtype, int n, int h, int w, long seed) {
    Tensor x = Tensor.uniform(new Rng(seed), dtype, 0, 1, n, 1, h, w);
    return new Dataset("img", x, new Targets.Classes(new int[n], 1));
  }

  /** numpy.rot90 (counter-clockwise): out[i][j] = in[j][w-1-i] for a square image. */
  static double[] rot90(double[] in, int s) {
    double[] out = new double[s * s];
    for (int i = 0; i < s; i++) for (int j = 0; j < s; j++) out[i * s + j] = in[j * s + (s - 1 - i)];
    return out;
  }

  @Test
  void quarterTurnsAreExactIndexRotations() {
    for (int s : new int[] {5, 6}) { // odd and even sizes: centre on a pixel and between pixels
      Dataset d = images(DType.F64, 2, s, s, s);
      double[] in = d.x().toDoubleArray();
      double[] img0 = java.util.Arrays.copyOfRange(in, 0, s * s);
      assertArrayEquals(img0, java.util.Arrays.copyOfRange(Rotation.rotated(d, 0).x().toDoubleArray(), 0, s * s));
      double[] r = img0;
      for (int k = 1; k <= 4; k++) {
        r = rot90(r, s);
        double[] got = java.util.Arrays.copyOfRange(Rotation.rotated(d, 90 * k).x().toDoubleArray(), 0, s * s);
        assertArrayEquals(r, got, "rotation by " + 90 * k + " of a " + s + "x" + s + " image");
      }
      assertArrayEquals(rot90(rot90(rot90(img0, s), s), s), java.util.Arrays.copyOfRange(Rotation.rotated(d, -90).x().toDoubleArray(), 0, s * s));
    }
  }

  @Test
  void bilinearValueAtAFractionalAngleMatchesHandComputation() {
    // 3x3 image, centre (1, 1). At 30 degrees the output pixel (x=2, y=1) samples
    // x' = 1 + cos30, y' = 1 + sin30 = (1.8660254, 1.5): between columns 1 and 2, rows 1 and 2.
    double[] img = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    Dataset d = new Dataset("i", Tensor.of(img, 1, 3, 3), new Targets.Classes(new int[1], 1));
    double fx = Math.cos(Math.PI / 6), fy = 0.5;
    double top = 5 * (1 - fx) + 6 * fx, bottom = 8 * (1 - fx) + 9 * fx;
    double expected = top * (1 - fy) + bottom * fy;
    assertEquals(expected, Rotation.rotated(d, 30).x().get(0, 1, 2), 1e-12);
    // Output corner (0, 0) at 45 degrees samples (1, 1 - sqrt2) ~ (1, -0.414): half outside, mixed with zero fill.
    double ys = 1 - Math.sqrt(2);
    double f = ys - Math.floor(ys);
    assertEquals(2 * f, Rotation.rotated(d, 45).x().get(0, 0, 0), 1e-12);
    // The centre never moves.
    assertEquals(5, Rotation.rotated(d, 17.5).x().get(0, 1, 1), 1e-12);
  }

  @Test
  void shapesDtypesAndIndicesAreKept() {
    Dataset d = images(DType.F32, 4, 28, 28, 1).subset(new int[] {3, 1});
    Dataset r = DataSets.rotated(d, 90);
    assertEquals(DType.F32, r.dtype());
    assertArrayEquals(new int[] {1, 28, 28}, r.inputShape());
    assertArrayEquals(new int[] {3, 1}, r.rootIndices());
    assertEquals("img@90", r.name());
    Dataset flat = d.flattenInputs();
    Dataset rf = Rotation.rotated(flat, 90);
    assertArrayEquals(new int[] {784}, rf.inputShape());
    assertArrayEquals(r.x().toFloatArray(), rf.x().toFloatArray());
    assertThrows(IllegalArgumentException.class, () -> Rotation.rotated(DatasetTest.numbered(2), 10));
  }
}
