package dev.unroll.tda;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.autodiff.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Attribution scores τ(z_q, z_m) of one method: {@code values[q][m]} for query q and training
 * example m, with the project's sign convention (method.md §1): positive τ means that removing z_m
 * from training would <em>increase</em> the measurement f(z_q, θ). For f = loss, positive means z_m
 * helps the query.
 *
 * <p>Influence-style values are stored without the global factor 1/N; the setting
 * {@value #EFFECT_SCALE} is the factor that turns them into predicted changes of f in f's units
 * ({@link #predictedEffects()}), or is absent where a method defines no such units (similarities).
 *
 * <p>Self-influence scores (τ(z_m, z_m), the measurement being the training loss) are kept as a
 * single row [1 × N] with setting {@code kind = self-influence}.
 *
 * @param method the method's name, e.g. {@code influence/ekfac}
 * @param values [queries × train]
 * @param settings everything that determined the values (damping, seeds, fit arguments, ...)
 */
public record Scores(String method, double[][] values, Map<String, String> settings) {
  /** Setting holding the factor that converts values to predicted changes of f (1/N for influence functions). */
  public static final String EFFECT_SCALE = "effect_scale";
  /** Setting {@code kind}: {@code pairwise} or {@code self-influence}. */
  public static final String KIND = "kind";

  public Scores {
    if (values.length > 0) {
      int n = values[0].length;
      for (int q = 0; q < values.length; q++) {
        if (values[q].length != n) throw new IllegalArgumentException("scores of '" + method + "': row " + q + " has " + values[q].length + " entries, row 0 has " + n);
      }
    }
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /** Pairwise scores; adds {@code kind = pairwise}. */
  public static Scores pairwise(String method, double[][] values, Map<String, String> settings) {
    Map<String, String> s = new LinkedHashMap<>(settings);
    s.put(KIND, "pairwise");
    return new Scores(method, values, s);
  }

  /** Self-influence τ(z_m, z_m) for every training example, as one row. */
  public static Scores selfInfluence(String method, double[] values, Map<String, String> settings) {
    Map<String, String> s = new LinkedHashMap<>(settings);
    s.put(KIND, "self-influence");
    return new Scores(method, new double[][] {values.clone()}, s);
  }

  public int numQueries() {
    return values.length;
  }

  public int numTrain() {
    return values.length == 0 ? 0 : values[0].length;
  }

  /** Alias of {@link #numQueries()}. */
  public int queries() {
    return numQueries();
  }

  /** Alias of {@link #numTrain()}. */
  public int examples() {
    return numTrain();
  }

  public double get(int q, int m) {
    return values[q][m];
  }

  /** The scores of query q over the training set (a copy). */
  public double[] row(int q) {
    return values[q].clone();
  }

  public boolean isSelfInfluence() {
    return "self-influence".equals(settings.get(KIND));
  }

  /**
   * The self-influences: the single row of a self-influence score, or the diagonal of a square
   * pairwise matrix whose queries are the training set itself.
   */
  public double[] selfValues() {
    if (isSelfInfluence()) return values[0].clone();
    if (numQueries() != numTrain()) throw new IllegalStateException("scores of '" + method + "' are " + numQueries() + " x " + numTrain() + "; a diagonal needs the training set as queries");
    double[] d = new double[numTrain()];
    for (int i = 0; i < d.length; i++) d[i] = values[i][i];
    return d;
  }

  /** The factor of {@value #EFFECT_SCALE}, or NaN when the method defines none. */
  public double effectScale() {
    String s = settings.get(EFFECT_SCALE);
    return s == null ? Double.NaN : Double.parseDouble(s);
  }

  /** values × {@link #effectScale()}: predicted changes of f when each training example is removed. */
  public double[][] predictedEffects() {
    double c = effectScale();
    if (Double.isNaN(c)) throw new IllegalStateException("scores of '" + method + "' have no " + EFFECT_SCALE + ": the method predicts no effect in f's units");
    double[][] out = new double[values.length][];
    for (int q = 0; q < values.length; q++) {
      out[q] = values[q].clone();
      for (int i = 0; i < out[q].length; i++) out[q][i] *= c;
    }
    return out;
  }

  /** These scores with one more setting. */
  public Scores withSetting(String key, String value) {
    Map<String, String> s = new LinkedHashMap<>(settings);
    s.put(key, value);
    return new Scores(method, values, s);
  }

  /**
   * The entrywise mean of several runs' scores of one shape (an ensemble, method.md §5). The
   * method name gets the prefix {@code ensemble/}; settings are those of the first run plus the
   * ensemble size and each member's settings that differ from the first's.
   */
  public static Scores average(List<Scores> runs) {
    if (runs.isEmpty()) throw new IllegalArgumentException("an ensemble of no scores");
    Scores first = runs.get(0);
    int q = first.numQueries(), n = first.numTrain();
    double[][] mean = new double[q][n];
    Map<String, String> s = new LinkedHashMap<>(first.settings);
    for (int r = 0; r < runs.size(); r++) {
      Scores x = runs.get(r);
      if (x.numQueries() != q || x.numTrain() != n) {
        throw new IllegalArgumentException("ensemble member " + r + " has shape " + x.numQueries() + " x " + x.numTrain() + ", member 0 " + q + " x " + n);
      }
      for (int i = 0; i < q; i++) for (int j = 0; j < n; j++) mean[i][j] += x.values[i][j] / runs.size();
      for (Map.Entry<String, String> e : x.settings.entrySet()) {
        if (!e.getValue().equals(first.settings.get(e.getKey()))) s.put("member" + r + "." + e.getKey(), e.getValue());
      }
    }
    s.put("ensemble_size", Integer.toString(runs.size()));
    String name = first.method.startsWith("ensemble/") ? first.method : "ensemble/" + first.method;
    return new Scores(name, mean, s);
  }

  // ------------------------------------------------------------------ files

  /** The JSON sidecar of a .npy score file: same name with .json instead of .npy. */
  public static Path sidecar(Path npy) {
    String name = npy.getFileName().toString();
    if (!name.endsWith(".npy")) throw new IllegalArgumentException("score files end in .npy, got " + npy);
    return npy.resolveSibling(name.substring(0, name.length() - 4) + ".json");
  }

  /** Writes the values as float64 .npy [Q, N] and the method and settings as a JSON sidecar, both atomically. */
  public void save(Path npy) {
    int q = numQueries(), n = numTrain();
    double[] flat = new double[q * n];
    for (int i = 0; i < q; i++) System.arraycopy(values[i], 0, flat, i * n, n);
    Npy.write(npy, Tensor.of(flat, q, n));
    JsonObject o = new JsonObject();
    o.addProperty("method", method);
    o.addProperty("queries", q);
    o.addProperty("train", n);
    o.add("settings", GSON.toJsonTree(settings));
    AtomicFiles.writeString(sidecar(npy), GSON.toJson(o) + "\n");
  }

  /** Reads scores written by {@link #save}; the sidecar's shape must match the array's. */
  public static Scores load(Path npy) {
    Tensor t = Npy.readTensor(npy);
    if (t.rank() != 2) throw new CorruptFileException(npy, "scores must be a 2-D array, found shape " + java.util.Arrays.toString(t.shape()));
    Path side = sidecar(npy);
    JsonObject o;
    try {
      o = GSON.fromJson(Files.readString(side), JsonObject.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the sidecar " + side + " of " + npy, e);
    } catch (JsonParseException e) {
      throw new CorruptFileException(side, "not valid JSON: " + e.getMessage(), e);
    }
    if (o == null || !o.has("method") || !o.has("settings") || !o.has("queries") || !o.has("train")) {
      throw new CorruptFileException(side, "sidecar lacks one of method, queries, train, settings");
    }
    int q = o.get("queries").getAsInt(), n = o.get("train").getAsInt();
    if (q != t.dim(0) || n != t.dim(1)) throw new CorruptFileException(side, "sidecar says " + q + " x " + n + " but " + npy.getFileName() + " holds " + t.dim(0) + " x " + t.dim(1));
    Map<String, String> settings = GSON.fromJson(o.get("settings"), new TypeToken<LinkedHashMap<String, String>>() {}.getType());
    double[] flat = t.toDoubleArray();
    double[][] v = new double[q][n];
    for (int i = 0; i < q; i++) System.arraycopy(flat, i * n, v[i], 0, n);
    return new Scores(o.get("method").getAsString(), v, settings);
  }

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  @Override
  public String toString() {
    return "Scores(" + method + ", " + numQueries() + " x " + numTrain() + ", " + settings + ")";
  }
}
