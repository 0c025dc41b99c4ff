package dev.unroll.tda;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.autodiff.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * An attribution score matrix: values[q][m] = τ(z_q, z_m) for query q and training example m, with
 * the project's sign convention (method.md §1: positive τ means removing z_m would increase
 * f(z_q)), the method that produced it and its settings (as strings, for the record).
 *
 * <p>Saved as a float64 .npy [queries, examples] (readable by numpy.load) with a JSON sidecar
 * beside it (same name, ".json" instead of ".npy") holding the method, the settings and the shape.
 */
public record Scores(double[][] values, String method, Map<String, String> settings) {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  public Scores {
    if (values == null || method == null || settings == null) throw new IllegalArgumentException("scores need values, a method and settings");
    int n = values.length == 0 ? 0 : values[0].length;
    for (int q = 0; q < values.length; q++) {
      if (values[q].length != n) throw new IllegalArgumentException("score matrix row " + q + " has " + values[q].length + " entries, row 0 has " + n);
    }
    settings = Collections.unmodifiableMap(new TreeMap<>(settings));
  }

  /** Number of queries (rows). */
  public int queries() {
    return values.length;
  }

  /** Number of training examples (columns). */
  public int examples() {
    return values.length == 0 ? 0 : values[0].length;
  }

  public double get(int q, int m) {
    return values[q][m];
  }

  /** Row q (a copy). */
  public double[] row(int q) {
    return values[q].clone();
  }

  /** The sidecar of an .npy path: the same name with ".json" for the extension. */
  public static Path sidecar(Path npy) {
    String name = npy.getFileName().toString();
    String base = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
    return npy.resolveSibling(base + ".json");
  }

  /** Writes the matrix to {@code npy} and the sidecar beside it, both atomically. */
  public void save(Path npy) {
    int q = queries(), n = examples();
    double[] flat = new double[q * n];
    for (int i = 0; i < q; i++) System.arraycopy(values[i], 0, flat, i * n, n);
    Npy.write(npy, Tensor.of(flat, q, n));
    Map<String, Object> side = new LinkedHashMap<>();
    side.put("method", method);
    side.put("queries", q);
    side.put("examples", n);
    side.put("settings", new TreeMap<>(settings));
    AtomicFiles.writeString(sidecar(npy), GSON.toJson(side) + "\n");
  }

  /** Reads scores saved by {@link #save}; a missing or malformed sidecar or matrix is named in the error. */
  public static Scores load(Path npy) {
    Tensor t = Npy.readTensor(npy);
    if (t.rank() != 2) throw new CorruptFileException(npy, "a score matrix must be 2-D, got shape " + java.util.Arrays.toString(t.shape()));
    Path side = sidecar(npy);
    Map<String, Object> meta;
    try {
      meta = GSON.fromJson(Files.readString(side, StandardCharsets.UTF_8), new TypeToken<Map<String, Object>>() {}.getType());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the sidecar " + side + " of " + npy + ": " + e.getMessage(), e);
    } catch (JsonParseException e) {
      throw new CorruptFileException(side, "not valid JSON: " + e.getMessage(), e);
    }
    if (meta == null || !(meta.get("method") instanceof String method) || !(meta.get("settings") instanceof Map<?, ?> s)) {
      throw new CorruptFileException(side, "needs a string 'method' and an object 'settings'");
    }
    Map<String, String> settings = new TreeMap<>();
    s.forEach((k, v) -> settings.put(String.valueOf(k), String.valueOf(v)));
    int q = t.dim(0), n = t.dim(1);
    double[] flat = t.toDoubleArray();
    double[][] v = new double[q][n];
    for (int i = 0; i < q; i++) System.arraycopy(flat, i * n, v[i], 0, n);
    return new Scores(v, method, settings);
  }
}
