package dev.whaleray.reference.soak;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The router's figures over time, appended to a CSV file as they are taken (so a run that dies
 * still leaves its trail) and kept for the report.
 */
final class Samples implements AutoCloseable {
  /** One row: when, the router's figures, and the traffic counters at that moment. */
  record Sample(
      String phase,
      long elapsedSeconds,
      ProcessProbe.Figures figures,
      long ok,
      long expected,
      long unexpected,
      int listed,
      long restarts,
      long reloads) {}

  static final String HEADER =
      "phase,elapsed_s,rss_kb,heap_used_after_gc_kb,live_object_bytes,threads,app_threads,fds,"
          + "sockets,client_sockets,upstream_sockets,ok,expected_failures,unexpected_failures,endpoints_listed,restarts,reloads";

  private final BufferedWriter csv;
  private final List<Sample> all = new ArrayList<>();

  Samples(Path file) throws IOException {
    this.csv = Files.newBufferedWriter(file);
    csv.write(HEADER);
    csv.newLine();
    csv.flush();
  }

  synchronized void add(Sample s) throws IOException {
    all.add(s);
    ProcessProbe.Figures f = s.figures();
    csv.write(
        String.join(
            ",",
            s.phase(),
            Long.toString(s.elapsedSeconds()),
            Long.toString(f.rssKb()),
            Long.toString(f.heapUsedAfterGcKb()),
            Long.toString(f.liveObjectBytes()),
            Integer.toString(f.threads()),
            Integer.toString(f.applicationThreads()),
            Integer.toString(f.fds()),
            Integer.toString(f.fdKinds().getOrDefault("socket", 0)),
            Integer.toString(f.sockets().getOrDefault("client", 0)),
            Integer.toString(f.sockets().getOrDefault("upstream", 0)),
            Long.toString(s.ok()),
            Long.toString(s.expected()),
            Long.toString(s.unexpected()),
            Integer.toString(s.listed()),
            Long.toString(s.restarts()),
            Long.toString(s.reloads())));
    csv.newLine();
    csv.flush();
  }

  synchronized List<Sample> all() {
    return List.copyOf(all);
  }

  /** The sums of a tally's counters: ok, expected, unexpected. */
  static long[] totals(Tally tally) {
    Map<Tally.Key, Long> snap = tally.snapshot();
    return new long[] {
      Tally.total(snap, Tally.Verdict.OK),
      Tally.total(snap, Tally.Verdict.EXPECTED),
      Tally.total(snap, Tally.Verdict.UNEXPECTED)
    };
  }

  @Override
  public synchronized void close() throws IOException {
    csv.close();
  }
}
