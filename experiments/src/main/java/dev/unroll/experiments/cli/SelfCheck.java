package dev.unroll.experiments.cli;

import com.google.gson.GsonBuilder;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.GradCheck;
import dev.unroll.autodiff.Op;
import dev.unroll.autodiff.OpCases;
import dev.unroll.experiments.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./unroll selfcheck}: runs the gradient check of every op (gradient against central finite
 * differences, the duality ⟨u, Jᵀw⟩ = ⟨Ju, w⟩, and Hessian-vector products against differences of
 * gradients, all in float64) on every backend of this machine, and reports the worst relative error
 * per op and backend. Exit status 1 when any check exceeds the tolerance.
 */
public final class SelfCheck {
  private SelfCheck() {}

  /** The tolerance on the normwise relative error (the same as the unit tests'). */
  public static final double TOLERANCE = 1e-6;

  public static int run(String[] args) throws Exception {
    Options o = Options.parse(args, Set.of("json"), Set.of("no-speed"));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("machine", machine());
    List<Backend> backends = new ArrayList<>(List.of(Backends.SCALAR, Backends.SIMD));
    System.out.printf("Unroll self-check: %d ops x %d backends, float64, tolerance %.0e%n", Op.values().length, backends.size(), TOLERANCE);
    boolean ok = true;
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<Op, OpCases.Case> cases = OpCases.all();
    System.out.printf("%-14s %-10s %12s %12s %12s  %s%n", "op", "backend", "gradient", "duality", "hvp", "result");
    for (Backend be : backends) {
      for (Op op : Op.values()) {
        OpCases.Case c = cases.get(op);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("op", op.name());
        row.put("backend", be.name());
        if (c == null) {
          row.put("pass", false);
          row.put("error", "no gradient-check case");
          ok = false;
          System.out.printf("%-14s %-10s %s%n", op, be.name(), "FAIL: no gradient-check case");
        } else {
          GradCheck.Result r = Backends.withCpu(be, () -> GradCheck.check(c.fn(), c.inputs(), op.ordinal()));
          boolean pass = r.max() <= TOLERANCE;
          ok &= pass;
          row.put("gradient_rel_error", r.gradError());
          row.put("duality_rel_error", r.dualityError());
          row.put("hvp_rel_error", r.hvpError());
          row.put("pass", pass);
          System.out.printf("%-14s %-10s %12.2e %12.2e %12.2e  %s%n", op, be.name(), r.gradError(), r.dualityError(), r.hvpError(), pass ? "ok" : "FAIL");
        }
        rows.add(row);
      }
    }
    report.put("gradient_checks", rows);
    if (!o.flag("no-speed")) {
      // A quick kernel reading (the JMH suite, ./unroll bench, gives the careful figures).
      Map<String, Object> gemm = new LinkedHashMap<>();
      System.out.println("GEMM 1024x1024 (median GFLOP/s over about 1 s each; peak per core here is about 102 float32 / 51 float64 at 3.2 GHz):");
      for (boolean f64 : new boolean[] {false, true}) {
        for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
          double g = dev.unroll.autodiff.GemmMeter.gflops(f64, 1024, threads, 1000);
          String key = (f64 ? "float64" : "float32") + "_threads_" + threads;
          gemm.put(key, g);
          System.out.printf("  %-8s %d thread%s: %6.1f GFLOP/s%n", f64 ? "float64" : "float32", threads, threads == 1 ? " " : "s", g);
        }
      }
      report.put("gemm_1024_gflops", gemm);
    }
    report.put("pass", ok);
    // OpenCL devices: list them and run every op's checks with all kernels on each (float64 where supported).
    System.out.print(dev.unroll.autodiff.opencl.OpenCl.devicesReport());
    List<Map<String, Object>> devices = new ArrayList<>();
    for (dev.unroll.autodiff.opencl.ClDevice d : dev.unroll.autodiff.opencl.OpenCl.devices()) {
      Map<String, Object> dv = new LinkedHashMap<>();
      dv.put("device", d.describe());
      try {
        Map<Op, GradCheck.Result> res = dev.unroll.autodiff.opencl.OpenCl.gradCheck(dev.unroll.autodiff.opencl.OpenCl.backend(d.index()));
        double worst = 0;
        Op worstOp = null;
        for (var e : res.entrySet()) {
          if (!(e.getValue().max() <= worst)) {
            worst = e.getValue().max();
            worstOp = e.getKey();
          }
        }
        boolean pass = worst <= TOLERANCE;
        ok &= pass;
        dv.put("ops_checked", res.size());
        dv.put("worst_rel_error", worst);
        dv.put("worst_op", String.valueOf(worstOp));
        dv.put("pass", pass);
        System.out.printf("  device %d: %d ops checked, worst relative error %.2e (%s): %s%n", d.index(), res.size(), worst, worstOp, pass ? "ok" : "FAIL");
      } catch (RuntimeException e) {
        dv.put("error", e.getMessage());
        System.out.printf("  device %d: not checked (%s)%n", d.index(), e.getMessage());
      }
      devices.add(dv);
    }
    report.put("opencl_devices", devices);
    System.out.println(ok ? "All gradient checks passed." : "SOME GRADIENT CHECKS FAILED.");
    String json = o.get("json", null);
    if (json != null) {
      writeAtomically(Path.of(json), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(report));
      System.out.println("Wrote " + json);
    }
    return ok ? 0 : 1;
  }

  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    m.put("cores", Runtime.getRuntime().availableProcessors());
    return m;
  }

  private static void writeAtomically(Path target, String text) throws Exception {
    Path abs = target.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
