package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Loads a CSV file with a header row into a {@link Dataset}. One or more target columns are chosen
 * by name or by 0-based index; every other column not excluded is an input feature, in file
 * order, and must hold numbers. The delimiter is ',' or ';' (detected from the header unless
 * set); gzip-compressed files are read transparently.
 *
 * <p>Regression: targets [N, d] for the d target columns, numeric. Classification (one target
 * column): the distinct values of the column become labels 0..K-1 in sorted order, numerically
 * sorted when every value is a number (so "10" follows "9"), otherwise by string order.
 *
 * <p>Every problem is a {@link DataLoadException} naming the file and line, and the column for a
 * bad cell.
 */
public final class CsvLoader {
  private final String source;
  private final DataFiles.Opener opener;
  private String name;
  private Character delimiter;
  private final List<String> targetNames = new ArrayList<>();
  private final List<Integer> targetIndices = new ArrayList<>();
  private final Set<String> excludedNames = new LinkedHashSet<>();
  private boolean classification;
  private DType dtype = DType.F64;

  private CsvLoader(String source, DataFiles.Opener opener, String name) {
    this.source = source;
    this.opener = opener;
    this.name = name;
  }

  /** A loader for {@code file}; the data set is named after the file until {@link #name} says otherwise. */
  public static CsvLoader of(Path file) {
    String fn = file.getFileName().toString();
    return new CsvLoader(file.toString(), DataFiles.of(file), fn.replaceFirst("\\.(csv|data|txt)(\\.gz)?$", ""));
  }

  /** A loader for a class-path resource, relative to {@code anchor}'s package unless it starts with '/'. */
  public static CsvLoader ofResource(Class<?> anchor, String resource) {
    return new CsvLoader(resource, DataFiles.ofResource(anchor, resource), resource.replaceFirst(".*/", "").replaceFirst("\\.csv$", ""));
  }

  public CsvLoader name(String n) {
    this.name = n;
    return this;
  }

  /** Sets the delimiter instead of detecting it. */
  public CsvLoader delimiter(char d) {
    this.delimiter = d;
    return this;
  }

  /** Target column(s) by header name. */
  public CsvLoader target(String... names) {
    targetNames.addAll(Arrays.asList(names));
    return this;
  }

  /** Target column(s) by 0-based index. */
  public CsvLoader target(int... indices) {
    for (int i : indices) targetIndices.add(i);
    return this;
  }

  /** Columns that are neither inputs nor targets (identifiers, leaking variables). */
  public CsvLoader exclude(String... names) {
    excludedNames.addAll(Arrays.asList(names));
    return this;
  }

  /** Numeric targets (the default). */
  public CsvLoader regression() {
    classification = false;
    return this;
  }

  /** A single target column of class values, mapped to labels 0..K-1 in sorted order. */
  public CsvLoader classification() {
    classification = true;
    return this;
  }

  /** Element type of the inputs (and of regression targets); float64 by default. */
  public CsvLoader dtype(DType t) {
    this.dtype = t;
    return this;
  }

  /** What a load produced: the data, the input column names, and for classification the class of each label. */
  public record Result(Dataset data, List<String> featureNames, List<String> targetNames, List<String> classNames) {}

  public Dataset load() {
    return read().data();
  }

  public Result read() {
    DelimitedText t = DelimitedText.read(source, opener, delimiter);
    if (t.rows.isEmpty()) throw new DataLoadException(source, "empty file: no header row");
    DelimitedText.Row headerRow = t.rows.get(0);
    String[] header = headerRow.cells();
    int cols = header.length;

    List<Integer> targets = new ArrayList<>();
    for (String n : targetNames) targets.add(column(header, n, headerRow.line()));
    for (int i : targetIndices) {
      if (i < 0 || i >= cols) throw new DataLoadException(source, headerRow.line(), "target column index " + i + " is outside [0, " + cols + ") (columns: " + String.join(", ", header) + ")");
      targets.add(i);
    }
    if (targets.isEmpty()) throw new DataLoadException(source, "no target column chosen (columns: " + String.join(", ", header) + ")");
    if (new LinkedHashSet<>(targets).size() != targets.size()) throw new DataLoadException(source, "a target column is chosen twice");
    if (classification && targets.size() != 1) throw new DataLoadException(source, "classification needs exactly one target column, got " + targets.size());
    Set<Integer> excluded = new LinkedHashSet<>();
    for (String n : excludedNames) excluded.add(column(header, n, headerRow.line()));
    List<Integer> features = new ArrayList<>();
    for (int j = 0; j < cols; j++) if (!targets.contains(j) && !excluded.contains(j)) features.add(j);
    if (features.isEmpty()) throw new DataLoadException(source, "no input columns left after choosing targets and exclusions");

    List<DelimitedText.Row> rows = t.rows.subList(1, t.rows.size());
    int n = rows.size(), f = features.size();
    if (n == 0) throw new DataLoadException(source, "no data rows after the header");
    double[] x = new double[n * f];
    for (int i = 0; i < n; i++) {
      DelimitedText.Row r = rows.get(i);
      t.requireCells(r, cols, "the header has " + cols + " columns");
      for (int k = 0; k < f; k++) x[i * f + k] = t.number(r, features.get(k), "'" + header[features.get(k)] + "'");
    }
    List<String> featureNames = features.stream().map(j -> header[j]).toList();
    List<String> targetNameList = targets.stream().map(j -> header[j]).toList();
    Tensor xt = Tensor.of(dtype, x, n, f);

    if (!classification) {
      int d = targets.size();
      double[] y = new double[n * d];
      for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) y[i * d + k] = t.number(rows.get(i), targets.get(k), "'" + header[targets.get(k)] + "'");
      return new Result(new Dataset(name, xt, new Targets.Regression(Tensor.of(dtype, y, n, d))), featureNames, targetNameList, List.of());
    }
    int tc = targets.get(0);
    String[] values = new String[n];
    for (int i = 0; i < n; i++) values[i] = rows.get(i).cells()[tc];
    List<String> classes = sortedDistinct(values);
    Map<String, Integer> index = new TreeMap<>();
    for (int k = 0; k < classes.size(); k++) index.put(classes.get(k), k);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = index.get(values[i]);
    return new Result(new Dataset(name, xt, new Targets.Classes(labels, classes.size())), featureNames, targetNameList, classes);
  }

  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  /** Distinct values sorted numerically when all are numbers, otherwise as strings. */
  static List<String> sortedDistinct(String[] values) {
    List<String> distinct = new ArrayList<>(new LinkedHashSet<>(Arrays.asList(values)));
    boolean numeric = distinct.stream().allMatch(s -> NUMBER.matcher(s).matches());
    distinct.sort(numeric ? Comparator.comparingDouble(Double::parseDouble).thenComparing(Comparator.naturalOrder()) : Comparator.naturalOrder());
    return distinct;
  }

  private int column(String[] header, String n, long line) {
    int found = -1;
    for (int j = 0; j < header.length; j++) {
      if (header[j].equals(n)) {
        if (found >= 0) throw new DataLoadException(source, line, "column name '" + n + "' appears twice in the header");
        found = j;
      }
    }
    if (found < 0) throw new DataLoadException(source, line, "no column '" + n + "' (columns: " + String.join(", ", header) + ")");
    return found;
  }
}
