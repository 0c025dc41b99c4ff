package dev.unroll.experiments.paper;

import dev.unroll.nn.data.CsvLoader;
import dev.unroll.nn.data.DataLoadException;
import dev.unroll.nn.data.Dataset;
import java.nio.file.Path;

/**
 * A user's CSV as a regression setting: every column except the target is a numeric input. The rows
 * are split (seed 0) into queries — a tenth of them, at least 1 and at most 100 — and training
 * points (the rest); inputs and target are standardised with the training part's statistics; the
 * model and optimizer are Concrete's recipe ({@link Recipe#csv}); the methods are the UCI settings'
 * (choose among them with {@link MethodIds}).
 */
public final class CsvSetting extends UciSetting {
  /** The smallest CSV accepted: enough rows for a training half-subset and a query. */
  static final int MIN_ROWS = 10;

  private final Dataset full;

  private CsvSetting(String name, Dataset full, Recipe recipe) {
    super(name, recipe, null);
    this.full = full;
  }

  /**
   * Loads {@code file} with {@code target} as the target column.
   *
   * @throws DataLoadException naming the file and line of a bad row, an unknown column, or too few rows
   */
  public static CsvSetting load(Path file, String target, int epochs) {
    Dataset d = CsvLoader.of(file).target(target).regression().load();
    if (d.size() < MIN_ROWS) throw new DataLoadException(file.toString(), "only " + d.size() + " data rows; the evaluation needs at least " + MIN_ROWS);
    int q = Math.max(1, Math.min(100, d.size() / 10));
    Recipe r = Recipe.csv(d.inputSize(), d.size() - q, q);
    if (epochs > 0) r = r.withEpochs(epochs);
    String name = file.getFileName().toString().replaceFirst("\\.(csv|txt)(\\.gz)?$", "");
    return new CsvSetting(name, d, r);
  }

  @Override
  protected Dataset full() {
    return full;
  }

  @Override
  public String measurementText() {
    return "absolute error of the standardised target";
  }

  /** A user's CSV is not one of {@link TaskSpec}'s data sets. */
  @Override
  public TaskSpec taskSpec() {
    return null;
  }
}
