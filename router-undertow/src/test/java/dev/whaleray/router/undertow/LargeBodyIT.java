package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 100 MB each way through the router, streamed. How it is measured: this JVM runs with {@code
 * -Xmx64m} (see the pom), so a body buffered whole could not fit at all; a sampler thread reads the
 * heap in use every 2 ms during the transfer and the test prints the peak above the baseline
 * measured after a GC. That figure is an upper bound for the router: the backend and the client run
 * in the same JVM.
 */
class LargeBodyIT {
  static final long SIZE = 100L * 1024 * 1024;

  static TestBackend backend;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static HttpClient client;

  @BeforeAll
  static void start() {
    backend = TestBackend.start("big");
    discovery = new TestDiscovery().set("big", List.of(Endpoint.parse(backend.address())));
    handler = RouterHandler.builder().discovery(discovery).build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    backend.close();
  }

  /** Peak direct (off-heap) buffer memory above the baseline, from the last measurement. */
  static volatile long lastDirectGrowth;

  static long directUsed() {
    long used = 0;
    for (java.lang.management.BufferPoolMXBean pool :
        ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        used += pool.getMemoryUsed();
      }
    }
    return used;
  }

  /**
   * Samples heap use while running a task; returns peak bytes above the post-GC baseline. Also
   * samples direct buffers (Undertow's buffer pool is off-heap) into {@link #lastDirectGrowth}.
   */
  static long peakHeapGrowth(ThrowingRunnable task) throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long baseline = memory.getHeapMemoryUsage().getUsed();
    long directBaseline = directUsed();
    AtomicLong peak = new AtomicLong(baseline);
    AtomicLong directPeak = new AtomicLong(directBaseline);
    AtomicBoolean done = new AtomicBoolean();
    Thread sampler =
        new Thread(
            () -> {
              while (!done.get()) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                directPeak.accumulateAndGet(directUsed(), Math::max);
                try {
                  Thread.sleep(2);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    sampler.setDaemon(true);
    sampler.start();
    try {
      task.run();
    } finally {
      done.set(true);
      sampler.join(1000);
    }
    lastDirectGrowth = directPeak.get() - directBaseline;
    return peak.get() - baseline;
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void downloads100MegabytesStreamed() throws Exception {
    long[] received = new long[1];
    long growth =
        peakHeapGrowth(
            () -> {
              HttpResponse<InputStream> r =
                  client.send(
                      HttpRequest.newBuilder(
                              URI.create(
                                  "http://127.0.0.1:"
                                      + server.port()
                                      + "/services/big/download?bytes="
                                      + SIZE))
                          .timeout(Duration.ofSeconds(120))
                          .build(),
                      HttpResponse.BodyHandlers.ofInputStream());
              assertThat(r.statusCode()).isEqualTo(200);
              assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(SIZE);
              try (InputStream in = r.body()) {
                byte[] buf = new byte[64 * 1024];
                long pos = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                  for (int i = 0; i < n; i++) {
                    if (buf[i] != TestBackend.patternByte(pos + i)) {
                      throw new AssertionError("byte " + (pos + i) + " differs");
                    }
                  }
                  pos += n;
                }
                received[0] = pos;
              }
            });
    System.out.printf(
        "100 MB download through the router: peak heap growth %.1f MB, direct buffers %.1f MB"
            + " (JVM -Xmx64m)%n",
        growth / 1e6, lastDirectGrowth / 1e6);
    assertThat(received[0]).isEqualTo(SIZE);
    assertThat(growth).isLessThan(SIZE / 4);
    assertThat(lastDirectGrowth).isLessThan(SIZE / 4);
  }

  @Test
  void uploads100MegabytesStreamed() throws Exception {
    CRC32 expected = new CRC32();
    byte[] chunk = new byte[64 * 1024];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) (i * 7);
    }
    for (long sent = 0; sent < SIZE; sent += chunk.length) {
      expected.update(chunk, 0, (int) Math.min(chunk.length, SIZE - sent));
    }
    String[] answer = new String[1];
    long growth =
        peakHeapGrowth(
            () -> {
              HttpResponse<String> r =
                  client.send(
                      HttpRequest.newBuilder(
                              URI.create(
                                  "http://127.0.0.1:" + server.port() + "/services/big/upload"))
                          .timeout(Duration.ofSeconds(120))
                          .POST(
                              HttpRequest.BodyPublishers.ofInputStream(
                                  () -> new RepeatingInputStream(chunk, SIZE)))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              assertThat(r.statusCode()).isEqualTo(200);
              answer[0] = r.body();
            });
    System.out.printf(
        "100 MB upload through the router: peak heap growth %.1f MB, direct buffers %.1f MB"
            + " (JVM -Xmx64m)%n",
        growth / 1e6, lastDirectGrowth / 1e6);
    assertThat(answer[0]).isEqualTo("bytes=" + SIZE + " crc=" + expected.getValue());
    assertThat(growth).isLessThan(SIZE / 4);
    assertThat(lastDirectGrowth).isLessThan(SIZE / 4);
  }

  /** {@code total} bytes made of {@code chunk} repeated, generated on the fly. */
  static final class RepeatingInputStream extends InputStream {
    private final byte[] chunk;
    private final long total;
    private long pos;

    RepeatingInputStream(byte[] chunk, long total) {
      this.chunk = chunk;
      this.total = total;
    }

    @Override
    public int read() {
      if (pos >= total) {
        return -1;
      }
      return chunk[(int) (pos++ % chunk.length)] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= total) {
        return -1;
      }
      int start = (int) (pos % chunk.length);
      int n = (int) Math.min(Math.min(len, chunk.length - start), total - pos);
      System.arraycopy(chunk, start, b, off, n);
      pos += n;
      return n;
    }
  }
}
