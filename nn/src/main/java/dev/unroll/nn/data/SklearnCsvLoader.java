package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The small data files scikit-learn ships (iris.csv, wine_data.csv, breast_cancer.csv, and the
 * diabetes pair).
 *
 * <p>Classification files: a first line {@code n_samples,n_features,class_0,class_1,...}, then
 * n_samples lines of n_features numbers and an integer class index into the listed names.
 *
 * <p>Diabetes: {@code diabetes_data_raw.csv.gz}, 442 lines of 10 whitespace-separated numbers,
 * and {@code diabetes_target.csv.gz}, one number per line.
 */
public final class SklearnCsvLoader {
  private SklearnCsvLoader() {}

  /** A classification data set and its class names (label k is classNames[k]). */
  public record Result(Dataset data, List<String> classNames) {}

  /** Loads a classification file in scikit-learn's layout; counts in the first line are checked. */
  public static Result loadClassification(Path file, String name, DType dtype) {
    String src = file.toString();
    DelimitedText t = DelimitedText.read(src, DataFiles.of(file), ',');
    if (t.rows.isEmpty()) throw new DataLoadException(src, "empty file: no n_samples,n_features,class names line");
    DelimitedText.Row head = t.rows.get(0);
    if (head.cells().length < 3) throw new DataLoadException(src, head.line(), "first line must be n_samples,n_features,class names...");
    int n = t.integer(head, 0, "n_samples", 1, Integer.MAX_VALUE);
    int f = t.integer(head, 1, "n_features", 1, Integer.MAX_VALUE);
    List<String> classes = List.copyOf(Arrays.asList(head.cells()).subList(2, head.cells().length));
    int k = classes.size();
    if (t.rows.size() - 1 != n) throw new DataLoadException(src, head.line(), "first line announces " + n + " samples but " + (t.rows.size() - 1) + " data lines follow");
    double[] x = new double[n * f];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      DelimitedText.Row r = t.rows.get(i + 1);
      t.requireCells(r, f + 1, f + " features and a class index");
      for (int j = 0; j < f; j++) x[i * f + j] = t.number(r, j, "feature " + j);
      y[i] = t.integer(r, f, "class", 0, k - 1);
    }
    return new Result(new Dataset(name, Tensor.of(dtype, x, n, f), new Targets.Classes(y, k)), classes);
  }

  /** Diabetes: raw inputs [442, 10] (age, sex, bmi, bp, s1..s6, not scaled) and the disease-progression target [442, 1]. */
  public static Dataset loadDiabetes(Path data, Path target, DType dtype) {
    DelimitedText xt = DelimitedText.read(data.toString(), DataFiles.of(data), DelimitedText.WHITESPACE);
    DelimitedText yt = DelimitedText.read(target.toString(), DataFiles.of(target), DelimitedText.WHITESPACE);
    int n = xt.rows.size();
    if (n == 0) throw new DataLoadException(data.toString(), "no rows");
    if (yt.rows.size() != n) throw new DataLoadException(target.toString(), yt.rows.size() + " targets but " + data + " holds " + n + " rows");
    int f = xt.rows.get(0).cells().length;
    double[] x = new double[n * f], y = new double[n];
    for (int i = 0; i < n; i++) {
      DelimitedText.Row r = xt.rows.get(i);
      xt.requireCells(r, f, "as many as the first line");
      for (int j = 0; j < f; j++) x[i * f + j] = xt.number(r, j, "feature " + j);
      DelimitedText.Row ry = yt.rows.get(i);
      yt.requireCells(ry, 1, "one target per line");
      y[i] = yt.number(ry, 0, "target");
    }
    return new Dataset("diabetes", Tensor.of(dtype, x, n, f), new Targets.Regression(Tensor.of(dtype, y, n, 1)));
  }
}
