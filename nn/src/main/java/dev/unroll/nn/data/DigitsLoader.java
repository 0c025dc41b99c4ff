package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import java.nio.file.Path;

/**
 * scikit-learn's 8×8 digits ({@code digits.csv.gz}, what {@code load_digits} reads): no header,
 * one image per line as 65 comma-separated integers, the 64 pixels of the 8×8 image in row-major
 * order (each 0..16) followed by the label 0..9.
 */
public final class DigitsLoader {
  public static final int PIXELS = 64;
  public static final int MAX_PIXEL = 16;

  private DigitsLoader() {}

  /**
   * x [N, 64] holding the pixel counts 0..16 as they are (as {@code load_digits} returns them), or
   * divided by 16 into [0, 1] when {@code scaleToUnit}; labels 0..9.
   */
  public static Dataset load(Path file, DType dtype, boolean scaleToUnit) {
    DelimitedText t = DelimitedText.read(file.toString(), DataFiles.of(file), ',');
    int n = t.rows.size();
    if (n == 0) throw new DataLoadException(file.toString(), "no rows");
    double[] x = new double[n * PIXELS];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      DelimitedText.Row r = t.rows.get(i);
      t.requireCells(r, PIXELS + 1, "64 pixels and a label");
      for (int k = 0; k < PIXELS; k++) {
        int v = t.integer(r, k, "pixel " + k, 0, MAX_PIXEL);
        x[i * PIXELS + k] = scaleToUnit ? v / (double) MAX_PIXEL : v;
      }
      y[i] = t.integer(r, PIXELS, "label", 0, 9);
    }
    return new Dataset("digits", Tensor.of(dtype, x, n, PIXELS), new Targets.Classes(y, 10));
  }
}
