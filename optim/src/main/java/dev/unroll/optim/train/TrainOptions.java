package dev.unroll.optim.train;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.opencl.ClBackend;
import dev.unroll.autodiff.opencl.DeviceChoice;
import java.nio.file.Path;

/**
 * How to run a configuration (what is not part of the run's identity).
 *
 * @param directory where to record the run (config.json, manifest.json, steps and checkpoints);
 *     null: nothing is written
 * @param keep what to keep in memory
 * @param resume continue a partially recorded run in {@code directory} from its last checkpoint
 *     (a finished run is loaded as it is); false: the directory must not hold a run yet
 * @param stopAfterSteps stop once this many global steps have been taken (a deliberate
 *     interruption; ≤ 0: run to the end)
 * @param hook called after every step (null: none)
 * @param evaluation measured on the final model (null: none)
 * @param device the backend that computes the steps (null: {@link #DEVICE_PROPERTY} /
 *     {@link #DEVICE_ENVIRONMENT} when set, as {@link DeviceChoice} reads them, else the CPU);
 *     the final model and every snapshot are returned on the CPU either way
 */
public record TrainOptions(Path directory, Keep keep, boolean resume, int stopAfterSteps, StepHook hook, Evaluation evaluation, Backend device) {
  /** -Dunroll.device: cpu, opencl or opencl:N (see {@link DeviceChoice}). */
  public static final String DEVICE_PROPERTY = DeviceChoice.PROPERTY;
  /** UNROLL_DEVICE, read when the property is not set. */
  public static final String DEVICE_ENVIRONMENT = DeviceChoice.ENVIRONMENT;

  public TrainOptions {
    if (keep == null) throw new IllegalArgumentException("keep must be given");
  }

  /** Options computing on the device of the environment (see {@link #device}). */
  public TrainOptions(Path directory, Keep keep, boolean resume, int stopAfterSteps, StepHook hook, Evaluation evaluation) {
    this(directory, keep, resume, stopAfterSteps, hook, evaluation, null);
  }

  /**
   * The backend to train on: {@link #device()} if given; else, when {@code -Dunroll.device} or
   * {@code UNROLL_DEVICE} is set, the one {@link DeviceChoice#fromEnvironment()} picks (falling back
   * to the CPU with a message when OpenCL is unavailable); else the CPU backend of this thread.
   * Unset means the CPU (not DeviceChoice's "auto"), so that training stays bit-reproducible by default.
   */
  public Backend resolveDevice() {
    if (device != null) return device;
    String spec = System.getProperty(DEVICE_PROPERTY);
    if (spec == null) spec = System.getenv(DEVICE_ENVIRONMENT);
    if (spec == null || spec.isBlank()) return Backends.cpu();
    Backend b = DeviceChoice.fromEnvironment();
    return b.isCpu() ? Backends.cpu() : b;
  }

  private static final java.util.Set<String> TOLD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * {@code device} where it can hold tensors of {@code dtype}, else this thread's CPU backend with
   * a message on stderr, once per device (float64 on an OpenCL device without cl_khr_fp64, as many GPUs).
   */
  public static Backend usable(Backend device, DType dtype) {
    if (device instanceof ClBackend cl && dtype == DType.F64 && !cl.supportsFloat64()) {
      if (TOLD.add(cl.name())) System.err.println(cl.name() + " has no float64 (cl_khr_fp64); this float64 run computes on the CPU (" + Backends.cpu().name() + ")");
      return Backends.cpu();
    }
    return device;
  }

  /** The same options computing on {@code backend}. */
  public TrainOptions device(Backend backend) {
    return new TrainOptions(directory, keep, resume, stopAfterSteps, hook, evaluation, backend);
  }

  /** Nothing written, only the final model kept. */
  public static TrainOptions inMemory() {
    return new TrainOptions(null, Keep.FINAL, false, 0, null, null);
  }

  /** Recorded in {@code dir}, checkpoints also kept in memory. */
  public static TrainOptions recorded(Path dir) {
    return new TrainOptions(dir, Keep.CHECKPOINTS, false, 0, null, null);
  }

  public TrainOptions keep(Keep k) {
    return new TrainOptions(directory, k, resume, stopAfterSteps, hook, evaluation, device);
  }

  public TrainOptions resume(boolean r) {
    return new TrainOptions(directory, keep, r, stopAfterSteps, hook, evaluation, device);
  }

  public TrainOptions stopAfter(int steps) {
    return new TrainOptions(directory, keep, resume, steps, hook, evaluation, device);
  }

  public TrainOptions hook(StepHook h) {
    return new TrainOptions(directory, keep, resume, stopAfterSteps, h, evaluation, device);
  }

  public TrainOptions evaluation(Evaluation e) {
    return new TrainOptions(directory, keep, resume, stopAfterSteps, hook, e, device);
  }

  public TrainOptions directory(Path dir) {
    return new TrainOptions(dir, keep, resume, stopAfterSteps, hook, evaluation, device);
  }
}
