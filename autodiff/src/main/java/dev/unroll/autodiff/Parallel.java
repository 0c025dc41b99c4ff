package dev.unroll.autodiff;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The kernels' thread pool: a fixed set of daemon workers, sized once per process by the system
 * property {@code unroll.threads}, else the environment variable {@code UNROLL_THREADS}, else the
 * number of available processors. The calling thread always takes part, so a count of t means t − 1
 * workers.
 *
 * <p>Work is handed out as numbered chunks. Each chunk is run whole by exactly one thread, and what
 * a chunk computes must not depend on which thread runs it (per-thread scratch buffers are fine).
 * Callers that split their output into chunks by a rule that depends only on the problem therefore
 * get bit-identical results whatever the thread count and whatever the scheduling.
 *
 * <p>A thread can lower its own count with {@link #withThreads(int, Supplier)}: a program that trains
 * many small models, one per thread, runs each with 1 so the kernels do not compete for the cores.
 */
public final class Parallel {
  private Parallel() {}

  /** The configured thread count (≥ 1), fixed at class initialisation. */
  private static final int CONFIGURED = readSetting();

  private static final ThreadLocal<Integer> OVERRIDE = new ThreadLocal<>();

  /** Set while a thread runs chunks: a chunk body that asks for parallelism again runs serially. */
  private static final ThreadLocal<Boolean> IN_CHUNK = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private static final LinkedBlockingQueue<Runnable> QUEUE = new LinkedBlockingQueue<>();

  private static volatile boolean started;

  /** How long an idle worker polls before it parks. */
  private static final long SPIN_NANOS = 50_000;

  private static int readSetting() {
    String s = System.getProperty("unroll.threads");
    String source = "system property unroll.threads";
    if (s == null || s.isBlank()) {
      s = System.getenv("UNROLL_THREADS");
      source = "environment variable UNROLL_THREADS";
    }
    if (s == null || s.isBlank()) return Math.max(1, Runtime.getRuntime().availableProcessors());
    try {
      int t = Integer.parseInt(s.trim());
      if (t < 1) throw new NumberFormatException();
      return t;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(source + " must be a positive integer, got '" + s + "'");
    }
  }

  /** The process-wide thread count from the settings. */
  public static int configuredThreads() {
    return CONFIGURED;
  }

  /** The thread count kernels called from this thread use: the override if set, else the configured count. */
  public static int threads() {
    Integer o = OVERRIDE.get();
    return o == null ? CONFIGURED : o;
  }

  /**
   * Runs {@code body} with this thread's kernel thread count set to {@code threads}, clamped to
   * [1, {@link #configuredThreads()}] (the pool never grows past the configured size).
   */
  public static <T> T withThreads(int threads, Supplier<T> body) {
    if (threads < 1) throw new IllegalArgumentException("thread count must be ≥ 1, got " + threads);
    Integer prev = OVERRIDE.get();
    OVERRIDE.set(Math.min(threads, CONFIGURED));
    try {
      return body.get();
    } finally {
      if (prev == null) OVERRIDE.remove();
      else OVERRIDE.set(prev);
    }
  }

  /** {@link #withThreads(int, Supplier)} for a body without a result. */
  public static void withThreads(int threads, Runnable body) {
    withThreads(threads, () -> {
      body.run();
      return null;
    });
  }

  /**
   * Runs {@code body.accept(c)} for every chunk c in [0, chunks), on up to {@link #threads()} threads
   * (this one included), and returns when all have finished. Chunks are claimed in increasing order;
   * the first exception thrown by a chunk is rethrown here after the others have finished or been
   * skipped. Called from inside a chunk, it runs serially.
   */
  public static void forChunks(int chunks, IntConsumer body) {
    forChunks(chunks, threads(), body);
  }

  /** {@link #forChunks(int, IntConsumer)} on at most {@code threads} threads. */
  public static void forChunks(int chunks, int threads, IntConsumer body) {
    int t = Math.min(Math.min(threads, CONFIGURED), chunks);
    if (t <= 1 || IN_CHUNK.get()) {
      for (int c = 0; c < chunks; c++) body.accept(c);
      return;
    }
    ensureStarted();
    Job job = new Job(chunks, body, Thread.currentThread());
    for (int i = 1; i < t; i++) QUEUE.add(job);
    IN_CHUNK.set(Boolean.TRUE);
    try {
      job.work();
    } finally {
      IN_CHUNK.set(Boolean.FALSE);
    }
    job.await();
    Throwable e = job.error.get();
    if (e instanceof RuntimeException re) throw re;
    if (e instanceof Error er) throw er;
    if (e != null) throw new RuntimeException(e);
  }

  /**
   * Splits [0, n) into {@code chunks} contiguous ranges whose boundaries are multiples of
   * {@code align} (except the end): the start of range c. Depends only on its arguments.
   */
  public static int rangeStart(int n, int chunks, int align, int c) {
    int units = (n + align - 1) / align;
    long u = (long) units * c / chunks;
    return (int) Math.min(n, u * align);
  }

  private static synchronized void ensureStarted() {
    if (started) return;
    for (int i = 1; i < CONFIGURED; i++) {
      Thread w = new Thread(Parallel::workerLoop, "unroll-worker-" + i);
      w.setDaemon(true);
      w.start();
    }
    started = true;
  }

  private static void workerLoop() {
    IN_CHUNK.set(Boolean.TRUE);
    while (true) {
      Runnable r = QUEUE.poll();
      // Back-to-back kernels are common (a training step is a chain of GEMMs): spin briefly
      // before parking so the next job does not pay a full wake-up.
      if (r == null) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while ((r = QUEUE.poll()) == null && System.nanoTime() < deadline) Thread.onSpinWait();
      }
      try {
        if (r == null) r = QUEUE.poll(1, TimeUnit.DAYS);
        if (r != null) r.run();
      } catch (InterruptedException e) {
        Thread.interrupted();
      } catch (Throwable t) {
        // Job.work records chunk failures itself; nothing else can reach here.
      }
    }
  }

  /** One forChunks call: a shared chunk counter, a completion count and the waiting caller. */
  private static final class Job implements Runnable {
    final int chunks;
    final IntConsumer body;
    final Thread caller;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    Job(int chunks, IntConsumer body, Thread caller) {
      this.chunks = chunks;
      this.body = body;
      this.caller = caller;
    }

    @Override
    public void run() {
      work();
    }

    void work() {
      int c;
      while ((c = next.getAndIncrement()) < chunks) {
        try {
          if (error.get() == null) body.accept(c);
        } catch (Throwable t) {
          error.compareAndSet(null, t);
        }
        if (done.incrementAndGet() == chunks) LockSupport.unpark(caller);
      }
    }

    void await() {
      for (int spin = 0; done.get() < chunks; spin++) {
        if (spin < 1000) Thread.onSpinWait();
        else LockSupport.park(this);
      }
    }
  }
}
