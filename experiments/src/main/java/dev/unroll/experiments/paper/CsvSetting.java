package dev.unroll.experiments.paper;

import dev.unroll.nn.data.CsvLoader;
import dev.unroll.nn.data.DataLoadException;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.DataSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A user's CSV as a regression setting: every column except the target is a numeric input. The rows
 * are split (seed 0) into queries — a tenth of them, at least 1 and at most 100 — and training
 * points (the rest); inputs and target are standardised with the training part's statistics; the
 * model and optimizer are Concrete's recipe ({@link Recipe#csv}). Methods are chosen by short id
 * ({@link #METHOD_IDS}).
 */
public final class CsvSetting extends UciSetting {
  /** Short ids accepted by {@code --methods}, and the method each stands for. */
  public static final Map<String, String> METHOD_IDS = ids();

  /** The smallest CSV accepted: enough rows for a training half-subset and a query. */
  static final int MIN_ROWS = 10;

  private final Dataset full;
  private final List<String> methodIds;

  private CsvSetting(String name, Dataset full, Recipe recipe, List<String> methodIds) {
    super(name, recipe, null);
    this.full = full;
    this.methodIds = List.copyOf(methodIds);
  }

  /**
   * Loads {@code file} with {@code target} as the target column.
   *
   * @throws DataLoadException naming the file and line of a bad row, or an unknown column
   * @throws IllegalArgumentException for an unknown method id or too few rows
   */
  public static CsvSetting load(Path file, String target, List<String> methodIds, int epochs) {
    for (String id : methodIds) {
      if (!METHOD_IDS.containsKey(id)) throw new IllegalArgumentException("unknown method '" + id + "' (known: " + String.join(", ", METHOD_IDS.keySet()) + ")");
    }
    if (methodIds.isEmpty()) throw new IllegalArgumentException("--methods names no method (known: " + String.join(", ", METHOD_IDS.keySet()) + ")");
    Dataset d = CsvLoader.of(file).target(target).regression().load();
    if (d.size() < MIN_ROWS) throw new DataLoadException(file.toString(), "only " + d.size() + " data rows; the evaluation needs at least " + MIN_ROWS);
    int q = Math.max(1, Math.min(100, d.size() / 10));
    Recipe r = Recipe.csv(d.inputSize(), d.size() - q, q);
    if (epochs > 0) r = r.withEpochs(epochs);
    String name = file.getFileName().toString().replaceFirst("\\.(csv|txt)(\\.gz)?$", "");
    return new CsvSetting(name, d, r, methodIds);
  }

  @Override
  protected Dataset full() {
    return full;
  }

  @Override
  public String measurementText() {
    return "absolute error of the standardised target";
  }

  @Override
  public List<MethodRun> methods(int threads, DataSource source, Scale scale) {
    List<MethodRun> all = new ArrayList<>(MethodCatalog.all(methodIds.contains("exact"), threads, source));
    all.add(EnsembleMethods.source(ENSEMBLE));
    all.add(EnsembleMethods.ekfac(ENSEMBLE));
    List<MethodRun> out = new ArrayList<>();
    for (String id : methodIds) {
      String name = METHOD_IDS.get(id);
      MethodRun m = all.stream().filter(x -> x.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalStateException("method id '" + id + "' stands for '" + name + "', which the catalog no longer has"));
      if (out.stream().noneMatch(x -> x.name().equals(name))) out.add(m);
    }
    return out;
  }

  private static Map<String, String> ids() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("exact", MethodCatalog.EXACT);
    m.put("source", "SOURCE (L=3)");
    m.put("source-l2", "SOURCE (L=2)");
    m.put("source-l1", "SOURCE (L=1)");
    m.put("if-ekfac", "EK-FAC influence");
    m.put("if-kfac", "K-FAC influence");
    m.put("tracin", "TracIn");
    m.put("trak", "TRAK (4 half-models)");
    m.put("grad-dot", "gradient dot");
    m.put("grad-cos", "gradient cosine");
    m.put("rep-cos", "representation cosine");
    m.put("source-ensemble", "SOURCE ensemble (" + ENSEMBLE + " seeds)");
    m.put("if-ekfac-ensemble", "EK-FAC influence ensemble (" + ENSEMBLE + " seeds)");
    return java.util.Collections.unmodifiableMap(m);
  }
}
