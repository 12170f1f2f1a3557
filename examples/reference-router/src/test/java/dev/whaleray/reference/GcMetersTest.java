package dev.whaleray.reference;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GcMetersTest {
  @Test
  void eachCollectorHasATimerThatCountsTheCollectionsSinceTheJvmStarted() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new GcMeters().bindTo(registry);
    int collectors = ManagementFactory.getGarbageCollectorMXBeans().size();
    assertThat(registry.find("jvm.gc.pause").functionTimers())
        .as("a timer per collector, before any collection is seen")
        .hasSizeBetween(1, collectors);
    double before = collections(registry);

    System.gc();

    assertThat(collections(registry)).isGreaterThan(before);
    for (FunctionTimer t : registry.find("jvm.gc.pause").functionTimers()) {
      assertThat(t.getId().getTag("gc")).isNotBlank();
      assertThat(t.getId().getTag("action")).startsWith("end of ");
      assertThat(t.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(0);
    }
  }

  @Test
  void actionsAndKindsAreTheJvmsAsMicrometerTagsThem() {
    assertThat(GcMeters.action("PS Scavenge")).isEqualTo("end of minor GC");
    assertThat(GcMeters.action("G1 Young Generation")).isEqualTo("end of minor GC");
    assertThat(GcMeters.action("PS MarkSweep")).isEqualTo("end of major GC");
    assertThat(GcMeters.action("G1 Old Generation")).isEqualTo("end of major GC");
    assertThat(GcMeters.action("G1 Concurrent GC")).isEqualTo("end of concurrent GC pause");
    assertThat(GcMeters.action("ZGC Major Pauses")).isEqualTo("end of GC pause");
    assertThat(GcMeters.action("ZGC Minor Cycles")).isEqualTo("end of GC cycle");
    assertThat(GcMeters.action("Shenandoah Cycles")).isEqualTo("end of GC cycle");
    assertThat(GcMeters.concurrent("ZGC Major Cycles")).isTrue();
    assertThat(GcMeters.concurrent("G1 Concurrent GC")).isTrue();
    assertThat(GcMeters.concurrent("Shenandoah Pauses")).isFalse();
    assertThat(GcMeters.concurrent("PS Scavenge")).isFalse();
  }

  private static double collections(SimpleMeterRegistry registry) {
    double n = 0;
    for (FunctionTimer t : registry.find("jvm.gc.pause").functionTimers()) {
      n += t.count();
    }
    return n;
  }
}
