package dev.unroll.tda.curvature;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.autodiff.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Fitted curvature on disk: the tensors in a .safetensors file and, beside it, a JSON file of the
 * arguments that produced them (parameter and data fingerprints, Fisher type, seed, sample count,
 * ...). Loading states the arguments the caller would fit with and is refused, naming every
 * argument that differs, when they are not exactly those stored: a cache never silently serves
 * factors of another model, data set or fit.
 */
public final class FactorStore {
  private FactorStore() {}

  /** Thrown when stored factors were produced with other arguments than requested. */
  public static final class MismatchException extends RuntimeException {
    private final List<String> differences;

    MismatchException(Path file, List<String> differences) {
      super("factors in " + file + " were fitted with other arguments: " + String.join("; ", differences));
      this.differences = List.copyOf(differences);
    }

    /** One line per differing argument: {@code key: stored X, requested Y}. */
    public List<String> differences() {
      return differences;
    }
  }

  /** The JSON file beside a .safetensors file. */
  public static Path sidecar(Path file) {
    String name = file.getFileName().toString();
    String base = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
    return file.resolveSibling(base + ".arguments.json");
  }

  /** Writes the tensors and the arguments (tensors first, so a present sidecar implies complete tensors). */
  public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> arguments) {
    SafeTensors.write(file, tensors, Map.of("producer", "unroll-tda"));
    AtomicFiles.writeString(sidecar(file), GSON.toJson(new LinkedHashMap<>(arguments)) + "\n");
  }

  /** Whether factors exist at {@code file} (both files). */
  public static boolean exists(Path file) {
    return Files.isRegularFile(file) && Files.isRegularFile(sidecar(file));
  }

  /** The stored arguments. */
  public static Map<String, String> arguments(Path file) {
    Path side = sidecar(file);
    try {
      Map<String, String> m = GSON.fromJson(Files.readString(side), new TypeToken<LinkedHashMap<String, String>>() {}.getType());
      if (m == null) throw new CorruptFileException(side, "empty arguments file");
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the arguments " + side + " of factors " + file, e);
    } catch (JsonParseException e) {
      throw new CorruptFileException(side, "not a JSON object of strings: " + e.getMessage(), e);
    }
  }

  /** The differences between stored and requested arguments (empty when they are the same set of pairs). */
  public static List<String> differences(Map<String, String> stored, Map<String, String> requested) {
    List<String> out = new ArrayList<>();
    TreeSet<String> keys = new TreeSet<>(stored.keySet());
    keys.addAll(requested.keySet());
    for (String k : keys) {
      String a = stored.get(k), b = requested.get(k);
      if (a == null) out.add(k + ": not stored, requested " + b);
      else if (b == null) out.add(k + ": stored " + a + ", not requested");
      else if (!a.equals(b)) out.add(k + ": stored " + a + ", requested " + b);
    }
    return out;
  }

  /** The tensors at {@code file}, provided they were fitted with exactly {@code requested}; throws {@link MismatchException} otherwise. */
  public static Map<String, Tensor> load(Path file, Map<String, String> requested) {
    List<String> diff = differences(arguments(file), requested);
    if (!diff.isEmpty()) throw new MismatchException(file, diff);
    return SafeTensors.load(file);
  }

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
}
