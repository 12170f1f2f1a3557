package dev.whaleray.router.undertow;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One JSON line per request (time, method, path, service, route, endpoint, status, bytes in and
 * out, total and upstream milliseconds, retries, trace id, client address), written by a thread of
 * its own: the IO thread only offers an entry to a bounded queue and never blocks; when the writer
 * falls behind, entries are dropped and counted ({@link #dropped()}). Off unless given to {@link
 * RouterHandler.Builder#accessLog}.
 */
public final class AccessLog implements AutoCloseable {
  private static final long IDLE_PARK_NANOS = 2_000_000; // a line waits at most ~2 ms

  private final double sample;
  private final int capacity;
  // Lock-free and never signalled: a blocking queue woke the writer (a futex call and a context
  // switch) for nearly every request; the writer instead looks again every 2 ms when idle.
  private final java.util.concurrent.ConcurrentLinkedQueue<Entry> queue =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger queued =
      new java.util.concurrent.atomic.AtomicInteger();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder written = new LongAdder();
  private final Thread writer;
  private final OutputStream out;
  private volatile boolean closed;

  private AccessLog(OutputStream out, double sample, int capacity) {
    if (!(sample > 0 && sample <= 1)) {
      throw new IllegalArgumentException("sample: " + sample + " (expected: above 0, at most 1)");
    }
    this.out = out;
    this.sample = sample;
    this.capacity = capacity;
    this.writer = new Thread(this::drain, "whaleray-access-log");
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * A share of the requests ({@code sample}: above 0, at most 1) on standard output, which stays
   * open when the log closes (the application's log lines go on there).
   */
  public static AccessLog toStdout(double sample) {
    return to(
        new java.io.FilterOutputStream(new FileOutputStream(FileDescriptor.out)) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len); // FilterOutputStream's own writes byte by byte
          }

          @Override
          public void close() throws IOException {
            flush();
          }
        },
        sample);
  }

  /**
   * A share of the requests ({@code sample}: above 0, at most 1; 1 logs every request) to {@code
   * out}, which the log owns and closes.
   */
  public static AccessLog to(OutputStream out, double sample) {
    return new AccessLog(requireNonNull(out, "out"), sample, 65_536);
  }

  /** Whether this request is logged: every one, or the sampled share. */
  boolean sampled() {
    return sample >= 1 || ThreadLocalRandom.current().nextDouble() < sample;
  }

  /** Queues a line; never blocks (counted as dropped when the queue is full or closed). */
  void offer(Entry e) {
    if (closed || queued.incrementAndGet() > capacity) {
      if (!closed) {
        queued.decrementAndGet();
      }
      dropped.increment();
      return;
    }
    queue.add(e);
  }

  /** Lines dropped because the writer fell behind. */
  public long dropped() {
    return dropped.sum();
  }

  /** Lines written so far. */
  public long written() {
    return written.sum();
  }

  /** Writes what is queued, then stops the writer and closes the stream. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    java.util.concurrent.locks.LockSupport.unpark(writer);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    LineBatch batch = new LineBatch(out);
    // Made here, on the writer thread: Jackson's classes never load on a start-up or IO path.
    try (JsonGenerator g = new JsonFactory().createGenerator(batch, JsonEncoding.UTF8)) {
      g.setRootValueSeparator(null);
      // The generator's flush below moves a line into the batch, and must not write it out: the
      // batch writes whole lines 4 KiB at a time (one write per line cost 0.3x of throughput).
      g.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
      StringBuilder scratch = new StringBuilder(64);
      while (true) {
        Entry e = queue.poll();
        if (e == null) {
          batch.flush(); // idle: what was written reaches the stream now
          if (closed && queue.isEmpty()) {
            out.close();
            return;
          }
          java.util.concurrent.locks.LockSupport.parkNanos(IDLE_PARK_NANOS);
          continue;
        }
        queued.decrementAndGet();
        write(g, e, scratch);
        g.flush(); // into the batch, not the stream
        batch.endLine();
        written.increment();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Lines gathered into writes of whole lines, each at most a pipe's atomic size (4 KiB) when the
   * lines allow: another writer on the same stdout (the application log) never splits a line.
   */
  private static final class LineBatch extends OutputStream {
    private static final int ATOMIC = 4096;
    private final OutputStream out;
    private byte[] buf = new byte[16 * 1024];
    private int len;
    private int whole; // bytes [0, whole) are whole lines

    LineBatch(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) {
      ensure(1);
      buf[len++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int n) {
      ensure(n);
      System.arraycopy(b, off, buf, len, n);
      len += n;
    }

    private void ensure(int n) {
      if (len + n > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
      }
    }

    /** The line is complete: written out with those before it once they would pass 4 KiB. */
    void endLine() throws IOException {
      write('\n');
      if (len > ATOMIC && whole > 0) {
        out.write(buf, 0, whole);
        System.arraycopy(buf, whole, buf, 0, len - whole);
        len -= whole;
      }
      whole = len;
    }

    @Override
    public void flush() throws IOException {
      if (whole > 0) {
        out.write(buf, 0, whole);
        System.arraycopy(buf, whole, buf, 0, len - whole);
        len -= whole;
        whole = 0;
        out.flush();
      }
    }

    @Override
    public void close() {
      // the log closes the stream itself, after the last flush
    }
  }

  private long timeSecond = Long.MIN_VALUE;
  private String timePrefix = ""; // "2026-11-30T15:26:43." for timeSecond

  private void write(JsonGenerator g, Entry e, StringBuilder scratch) throws IOException {
    g.writeStartObject();
    g.writeFieldName("time");
    g.writeString(time(e.startMillis, scratch));
    g.writeStringField("method", e.method);
    g.writeStringField("path", e.path);
    g.writeStringField("service", e.service);
    g.writeStringField("route", e.route);
    if (e.endpoint != null) {
      g.writeStringField("endpoint", e.endpoint);
    }
    g.writeNumberField("status", e.status);
    g.writeNumberField("bytesIn", e.bytesIn);
    g.writeNumberField("bytesOut", e.bytesOut);
    g.writeFieldName("totalMs");
    g.writeNumber(millis(e.totalNanos, scratch));
    g.writeFieldName("upstreamMs");
    g.writeNumber(millis(e.upstreamNanos, scratch));
    g.writeNumberField("retries", e.retries);
    if (e.traceId != null) {
      g.writeStringField("traceId", e.traceId);
    }
    if (e.client != null && e.client.getAddress() != null) {
      g.writeStringField("client", e.client.getAddress().getHostAddress());
    }
    g.writeEndObject();
  }

  /** ISO-8601 UTC with milliseconds; the date and time of day made once per second. */
  private String time(long epochMillis, StringBuilder sb) {
    long second = Math.floorDiv(epochMillis, 1000);
    if (second != timeSecond) {
      String full = Instant.ofEpochSecond(second).toString(); // "...T15:26:43Z"
      timePrefix = full.substring(0, full.length() - 1) + '.';
      timeSecond = second;
    }
    int ms = (int) Math.floorMod(epochMillis, 1000);
    sb.setLength(0);
    sb.append(timePrefix).append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10));
    return sb.append((char) ('0' + ms % 10)).append('Z').toString();
  }

  /** Nanoseconds as milliseconds with three decimals (microseconds), as a JSON number. */
  private static String millis(long nanos, StringBuilder sb) {
    long us = Math.max(0, nanos) / 1000;
    long frac = us % 1000;
    sb.setLength(0);
    sb.append(us / 1000).append('.');
    if (frac < 100) {
      sb.append('0');
    }
    if (frac < 10) {
      sb.append('0');
    }
    return sb.append(frac).toString();
  }

  /** One request's line, made when the exchange completes. */
  record Entry(
      long startMillis,
      String method,
      String path,
      String service,
      String route,
      @Nullable String endpoint,
      int status,
      long bytesIn,
      long bytesOut,
      long totalNanos,
      long upstreamNanos,
      int retries,
      @Nullable String traceId,
      java.net.@Nullable InetSocketAddress client) {}
}
