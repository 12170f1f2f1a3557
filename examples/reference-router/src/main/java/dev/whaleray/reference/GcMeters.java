package dev.whaleray.reference;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The collectors' counts and times, read when {@code /metrics} is scraped: {@code
 * jvm_gc_pause_seconds} ({@code _count}, {@code _sum}) per collector, and {@code
 * jvm_gc_concurrent_phase_time_seconds} for the concurrent cycles of ZGC, Shenandoah and G1, with
 * the names and tags Micrometer's {@code JvmGcMetrics} gives them.
 *
 * <p>In place of {@code JvmGcMetrics}, which listens for the JVM's notification after every
 * collection. Each notification builds JMX open data on the JVM's notification thread, about a
 * millisecond of CPU that rarely gets compiled. On a task with one core, that thread preempts the
 * IO thread right after each young pause, and the JIT keeps compiling its code long after warm-up.
 * Reading the counters costs nothing between scrapes. Left out: the pause's cause, its maximum, and
 * the bytes allocated and promoted, which only the notification carries.
 */
final class GcMeters implements MeterBinder {
  private final List<GarbageCollectorMXBean> collectors;

  GcMeters() {
    this(ManagementFactory.getGarbageCollectorMXBeans());
  }

  GcMeters(List<GarbageCollectorMXBean> collectors) {
    this.collectors = List.copyOf(collectors);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (GarbageCollectorMXBean gc : collectors) {
      String name = gc.getName();
      boolean concurrent = concurrent(name);
      FunctionTimer.builder(
              concurrent ? "jvm.gc.concurrent.phase.time" : "jvm.gc.pause",
              gc,
              GarbageCollectorMXBean::getCollectionCount,
              GarbageCollectorMXBean::getCollectionTime,
              TimeUnit.MILLISECONDS)
          .tags("gc", name, "action", action(name))
          .description(
              concurrent
                  ? "Time spent in the collector's concurrent cycles"
                  : "Time spent in the collector's pauses")
          .register(registry);
    }
  }

  /** As Micrometer tells them apart: ZGC's and Shenandoah's cycles, G1's concurrent cycles. */
  static boolean concurrent(String collector) {
    return collector.endsWith(" Cycles") || collector.equals("G1 Concurrent GC");
  }

  /** The JVM's {@code gcAction} for the collector, which Micrometer uses as its {@code action}. */
  static String action(String collector) {
    switch (collector) {
      case "Copy":
      case "PS Scavenge":
      case "ParNew":
      case "G1 Young Generation":
        return "end of minor GC";
      case "MarkSweepCompact":
      case "PS MarkSweep":
      case "ConcurrentMarkSweep":
      case "G1 Old Generation":
        return "end of major GC";
      case "G1 Concurrent GC":
        return "end of concurrent GC pause";
      default:
        if (collector.endsWith(" Pauses")) {
          return "end of GC pause";
        }
        return collector.endsWith(" Cycles") ? "end of GC cycle" : "end of GC";
    }
  }
}
