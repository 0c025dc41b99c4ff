package dev.unroll.experiments.cli;

import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.Npy;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Query rows from a file, in the data set's own units: each row holds the {@code inputs} input
 * values followed by the target (regression: {@code targets} real values; classification: one
 * class label, an integer in [0, classes)). Two formats:
 * <ul>
 *   <li>{@code .npy}: a 2-D float or integer array [Q, inputs + targets];</li>
 *   <li>anything else is read as CSV: comma-separated numbers, one query per line; blank lines and
 *       lines starting with {@code #} are skipped, and so is a first line that is not all numbers
 *       (a header).</li>
 * </ul>
 */
final class QueryFile {
  private QueryFile() {}

  /**
   * The queries of {@code file} as a data set named {@code name}: inputs [Q, inputs] in float64,
   * regression targets [Q, targets] when {@code classes} is 0, else labels of {@code classes} classes.
   *
   * @throws IllegalArgumentException naming the file (and line) of a malformed row
   */
  static Dataset read(Path file, String name, int inputs, int targets, int classes) {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("query file " + file + " does not exist (--queries takes 'test' or a .csv/.npy file of query rows)");
    int width = inputs + (classes > 0 ? 1 : targets);
    List<double[]> rows = file.getFileName().toString().endsWith(".npy") ? npyRows(file, width) : csvRows(file, width);
    if (rows.isEmpty()) throw new IllegalArgumentException(file + ": no query rows");
    int q = rows.size();
    double[] x = new double[q * inputs];
    for (int i = 0; i < q; i++) System.arraycopy(rows.get(i), 0, x, i * inputs, inputs);
    Targets y;
    if (classes > 0) {
      int[] labels = new int[q];
      for (int i = 0; i < q; i++) {
        double v = rows.get(i)[inputs];
        if (v != Math.rint(v) || v < 0 || v >= classes) {
          throw new IllegalArgumentException(file + ": query " + (i + 1) + " has label " + v + "; the last column must be a class in 0.." + (classes - 1));
        }
        labels[i] = (int) v;
      }
      y = new Targets.Classes(labels, classes);
    } else {
      double[] t = new double[q * targets];
      for (int i = 0; i < q; i++) System.arraycopy(rows.get(i), inputs, t, i * targets, targets);
      y = new Targets.Regression(Tensor.of(t, q, targets));
    }
    return new Dataset(name, Tensor.of(x, q, inputs), y);
  }

  private static List<double[]> npyRows(Path file, int width) {
    Tensor t = Npy.readTensor(file);
    if (t.rank() != 2 || t.dim(1) != width) {
      throw new IllegalArgumentException(file + ": holds an array of shape " + Arrays.toString(t.shape()) + ", expected [queries, " + width + "] (inputs, then the target)");
    }
    double[] flat = t.toDoubleArray();
    List<double[]> rows = new ArrayList<>();
    for (int i = 0; i < t.dim(0); i++) rows.add(Arrays.copyOfRange(flat, i * width, (i + 1) * width));
    return rows;
  }

  private static List<double[]> csvRows(Path file, int width) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read query file " + file + ": " + e.getMessage(), e);
    }
    List<double[]> rows = new ArrayList<>();
    boolean first = true;
    for (int ln = 0; ln < lines.size(); ln++) {
      String line = lines.get(ln).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] cells = line.split(",", -1);
      double[] v = new double[cells.length];
      boolean numeric = true;
      for (int c = 0; c < cells.length && numeric; c++) {
        try {
          v[c] = Double.parseDouble(cells[c].strip());
        } catch (NumberFormatException e) {
          numeric = false;
          if (!first) throw new IllegalArgumentException(file + " line " + (ln + 1) + ", column " + (c + 1) + ": '" + cells[c].strip() + "' is not a number");
        }
      }
      boolean header = first && !numeric;
      first = false;
      if (header) continue;
      if (v.length != width) {
        throw new IllegalArgumentException(file + " line " + (ln + 1) + ": " + v.length + " values, expected " + width + " (the inputs, then the target)");
      }
      rows.add(v);
    }
    return rows;
  }
}
