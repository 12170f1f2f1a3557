package dev.whaleray.reference;

/**
 * SIGTERM and SIGINT handling through {@code sun.misc.Signal} (module jdk.unsupported), so that the
 * router drains and exits 0 instead of the JVM's default exit status 143.
 */
final class Signals {
  private Signals() {}

  /**
   * Runs {@code action} on SIGTERM (and SIGINT where it is not ignored, as it is for background
   * jobs); false when SIGTERM cannot be handled here.
   */
  static boolean onTermination(Runnable action) {
    boolean term = handle("TERM", action);
    handle("INT", action);
    return term;
  }

  private static boolean handle(String name, Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> action.run());
      return true;
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
