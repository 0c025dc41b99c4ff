package dev.unroll.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the benchmark report says about the machine: the processor, its clock as the kernel reports
 * it, its vector extensions, and the nominal floating-point peak computed from them (stated beside
 * the peak measured by {@link PeakBench} in the same run).
 *
 * @param model the processor's model name ("unknown" when not reported)
 * @param mhz the clock in MHz from /proc/cpuinfo (NaN when not reported); under load a core may
 *     run faster or slower than this
 * @param flags the processor's feature flags
 * @param cores the processors available to the JVM
 */
public record Machine(String model, double mhz, Set<String> flags, int cores) {

  /** This machine, from /proc/cpuinfo where it exists. */
  public static Machine detect() {
    String text = "";
    try {
      Path p = Path.of("/proc/cpuinfo");
      if (Files.isReadable(p)) text = Files.readString(p);
    } catch (IOException e) {
      text = "";
    }
    return parse(text, Runtime.getRuntime().availableProcessors());
  }

  /** The machine described by the text of /proc/cpuinfo (its first processor). */
  static Machine parse(String cpuinfo, int cores) {
    String model = "unknown";
    double mhz = Double.NaN;
    Set<String> flags = new TreeSet<>();
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) continue;
      String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
      if (key.equals("model name") && model.equals("unknown")) model = value;
      else if (key.equals("cpu MHz") && Double.isNaN(mhz)) {
        try {
          mhz = Double.parseDouble(value);
        } catch (NumberFormatException e) {
          mhz = Double.NaN;
        }
      } else if (key.equals("flags") && flags.isEmpty()) flags.addAll(Arrays.asList(value.split("\\s+")));
    }
    return new Machine(model, mhz, flags, cores);
  }

  /**
   * Floating-point operations per cycle and core, assuming two fused multiply-add pipes of the
   * widest vector extension reported (AVX-512, AVX2 with FMA, AVX, else SSE without FMA): the
   * vector's lanes × 2 (an FMA is two operations) × 2 pipes.
   */
  public double flopPerCycle(boolean float64) {
    int bits = flags.contains("avx512f") ? 512 : flags.contains("avx2") || flags.contains("avx") ? 256 : 128;
    int lanes = bits / (float64 ? 64 : 32);
    boolean fma = flags.contains("fma") || flags.contains("avx512f");
    return fma ? lanes * 2 * 2 : lanes * 2;
  }

  /** The nominal peak in GFLOP/s of {@code threads} cores at the reported clock (NaN when it is unknown). */
  public double nominalGflops(boolean float64, int threads) {
    return mhz * 1e-3 * flopPerCycle(float64) * Math.min(threads, cores);
  }

  /** The vector extensions that matter for the kernels, as a short string ("avx2 fma"). */
  public String vectorExtensions() {
    StringBuilder b = new StringBuilder();
    for (String f : new String[] {"avx512f", "avx2", "fma", "avx"}) if (flags.contains(f)) b.append(b.isEmpty() ? "" : " ").append(f);
    return b.isEmpty() ? "none reported" : b.toString();
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpu", model);
    m.put("mhz", mhz);
    m.put("cores", cores);
    m.put("vector_extensions", vectorExtensions());
    m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    return m;
  }
}
