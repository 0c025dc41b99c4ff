package dev.unroll.autodiff;

/**
 * Whether ops record the graph on the current thread. Disabled inside {@link #off()} blocks and
 * while running a backward pass that does not build a graph of its own.
 */
public final class GradMode {
  private GradMode() {}

  private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

  public static boolean enabled() {
    return ENABLED.get()[0];
  }

  /** A scope with recording switched off (or on); restores the previous state on close. */
  public static Scope set(boolean on) {
    boolean[] flag = ENABLED.get();
    boolean previous = flag[0];
    flag[0] = on;
    return () -> flag[0] = previous;
  }

  /** {@code try (var s = GradMode.off()) { ... }}: no graph is recorded inside. */
  public static Scope off() {
    return set(false);
  }

  /** Closes without checked exceptions. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
