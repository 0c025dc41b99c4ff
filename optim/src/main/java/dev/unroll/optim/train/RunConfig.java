package dev.unroll.optim.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Loss;
import dev.unroll.nn.MseLoss;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Everything that determines a training run, as plain data saved as JSON beside the run's outputs:
 * the network ({@link ModelSpec}), the training loss ("mse": {@link MseLoss}, "cross_entropy":
 * {@link CrossEntropyLoss}), the element type ("float32" or "float64"), the seed, and one or more
 * {@link StageSpec stages} run one after another on the same parameters (stage 2 starts from
 * stage 1's final parameters with a fresh optimizer).
 *
 * <p>The seed fixes the initial parameters (an {@link dev.unroll.autodiff.Rng} of {@code seed}
 * feeds {@link ModelSpec#build}) and every stage's batch order (stage s shuffles with
 * {@link #orderSeed(int)}); with the data and the CPU kernels, it fixes the run bit for bit.
 */
public record RunConfig(ModelSpec model, String loss, String dtype, long seed, List<StageSpec> stages) {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  public RunConfig {
    Objects.requireNonNull(model, "model");
    lossOf(loss);
    dtypeOf(dtype);
    if (stages == null || stages.isEmpty()) throw new IllegalArgumentException("a run needs at least one stage");
    stages = List.copyOf(stages);
  }

  /** A single-stage run. */
  public static RunConfig of(ModelSpec model, String loss, DType dtype, long seed, StageSpec stage) {
    return new RunConfig(model, loss, nameOf(dtype), seed, List.of(stage));
  }

  /** A run of several stages in order. */
  public static RunConfig of(ModelSpec model, String loss, DType dtype, long seed, List<StageSpec> stages) {
    return new RunConfig(model, loss, nameOf(dtype), seed, stages);
  }

  public DType dataType() {
    return dtypeOf(dtype);
  }

  /** A fresh instance of the training loss. */
  public Loss lossFunction() {
    return lossOf(loss);
  }

  public StageSpec stage(int s) {
    return stages.get(s);
  }

  public int numStages() {
    return stages.size();
  }

  /** The seed of stage s's batch order: a fixed function of (seed, s), distinct per stage. */
  public long orderSeed(int s) {
    return seed + 0x9E3779B97F4A7C15L * (s + 1);
  }

  public RunConfig withSeed(long newSeed) {
    return new RunConfig(model, loss, dtype, newSeed, stages);
  }

  public RunConfig withStage(int s, StageSpec stage) {
    List<StageSpec> l = new ArrayList<>(stages);
    l.set(s, stage);
    return new RunConfig(model, loss, dtype, seed, l);
  }

  /** This run with stage s's data replaced (e.g. a subset for a counterfactual retrain). */
  public RunConfig withData(int s, DataSpec data) {
    return withStage(s, stages.get(s).withData(data));
  }

  /** This run with stage s's per-example loss weights replaced (null: all 1). */
  public RunConfig withWeights(int s, double[] weights) {
    return withStage(s, stages.get(s).withWeights(weights));
  }

  /** The configuration as pretty-printed JSON (stable: the same configuration gives the same text). */
  public String toJson() {
    return GSON.toJson(this);
  }

  /** Parses {@link #toJson()}'s output; validation errors name the problem. */
  public static RunConfig fromJson(String json) {
    try {
      RunConfig c = GSON.fromJson(json, RunConfig.class);
      if (c == null) throw new IllegalArgumentException("empty run configuration");
      return c;
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("run configuration is not valid JSON: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // gson wraps what a record's constructor throws; report the validation message itself.
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof IllegalArgumentException || t instanceof NullPointerException) throw new IllegalArgumentException("invalid run configuration: " + t.getMessage(), e);
      }
      throw e;
    }
  }

  /** Hex SHA-256 of {@link #toJson()}: a key for caching results of this exact configuration. */
  public String fingerprint() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toJson().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the JSON atomically. */
  public void save(Path file) {
    AtomicFiles.writeString(file, toJson() + "\n");
  }

  /** Reads a configuration saved by {@link #save}; an unreadable file is named in the error. */
  public static RunConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException("no run configuration at " + file, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      return fromJson(text);
    } catch (RuntimeException e) {
      throw new CorruptFileException(file, e.getMessage(), e);
    }
  }

  static Gson gson() {
    return GSON;
  }

  private static Loss lossOf(String name) {
    if (name == null) throw new IllegalArgumentException("run configuration needs a loss (mse, cross_entropy)");
    return switch (name) {
      case "mse" -> new MseLoss();
      case "cross_entropy" -> new CrossEntropyLoss();
      default -> throw new IllegalArgumentException("unknown loss '" + name + "' (known: mse, cross_entropy)");
    };
  }

  private static DType dtypeOf(String name) {
    if (name == null) throw new IllegalArgumentException("run configuration needs a dtype (float32, float64)");
    return switch (name) {
      case "float32" -> DType.F32;
      case "float64" -> DType.F64;
      default -> throw new IllegalArgumentException("unknown dtype '" + name + "' (known: float32, float64)");
    };
  }

  static String nameOf(DType t) {
    return t == DType.F64 ? "float64" : "float32";
  }
}
