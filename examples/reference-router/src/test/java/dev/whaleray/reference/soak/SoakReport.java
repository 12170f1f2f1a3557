package dev.whaleray.reference.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The soak's findings as Markdown: the command, machine and settings; the checks of issue 9 (no
 * unexpected failure, live heap after a full GC within 10 %, threads and file descriptors back to
 * their start values) with their figures; requests and failures by kind; the disturbances; the
 * samples; what the router logged at WARN and ERROR. Filled in by {@link SoakMain}.
 */
final class SoakReport {
  /** One check: what, the figures, and whether it passed. */
  record Check(String name, String start, String end, String rule, boolean pass) {}

  static final List<String> OPERATIONS_THAT_MUST_SUCCEED =
      List.of(
          "GET",
          "GET chunked response",
          "POST 1-8 KB",
          "POST 1-8 KB chunked",
          "POST 1 MB",
          WebSocketProbe.OP);
  static final List<String> SLOW_OPERATIONS = List.of("slow GET", "slow POST", "slow POST chunked");

  final SoakSettings settings;
  final Tally warmup = new Tally();
  final Tally soak = new Tally();
  String aborted;
  String startHistogram = "";
  String endHistogram = "";
  Instant started;
  Instant trafficStarted;
  Instant trafficStopping;
  Instant trafficEnded;
  Instant ended;
  long routerPid;
  ProcessProbe.Figures start;
  ProcessProbe.Figures end;
  List<Samples.Sample> samples = List.of();
  int routerExit = Integer.MIN_VALUE;
  long routerWarnLines;
  long routerErrorLines;
  long routerLogLines;
  Map<String, Long> routerProblems = Map.of();
  long reloads;
  long churnWrites;
  long churnAdds;
  long churnRemoves;
  long restarts;
  long moves;
  long drainTimeouts;
  long cutOnRestart;
  long reloadWaitTimeouts;
  int killed;
  long backendRequests;
  long lateArrivals;
  String firstLateArrival;

  SoakReport(SoakSettings settings) {
    this.settings = settings;
  }

  List<Check> checks() {
    List<Check> checks = new ArrayList<>();
    long unexpectedWarmup = Tally.total(warmup.snapshot(), Tally.Verdict.UNEXPECTED);
    long unexpectedSoak = Tally.total(soak.snapshot(), Tally.Verdict.UNEXPECTED);
    checks.add(
        new Check(
            "unexpected failures",
            unexpectedWarmup + " (warm-up)",
            unexpectedSoak + " (soak)",
            "0 in both",
            unexpectedWarmup == 0 && unexpectedSoak == 0));
    if (aborted != null || start == null || end == null) {
      checks.add(
          new Check(
              "the router ran to the end",
              "",
              aborted == null ? "no figures" : aborted,
              "alive, figures taken",
              false));
      return checks;
    }
    long s = start.liveObjectBytes();
    long e = end.liveObjectBytes();
    checks.add(
        new Check(
            "live heap after a full GC (class histogram total)",
            kb(s),
            kb(e) + (s > 0 && e >= 0 ? String.format(" (%+.1f %%)", 100.0 * (e - s) / s) : ""),
            "end <= start + 10 %",
            s > 0 && e >= 0 && e <= s * 1.10));
    checks.add(
        new Check(
            "application threads (all but JIT/GC/VM threads)",
            Integer.toString(start.applicationThreads()),
            Integer.toString(end.applicationThreads()),
            "end <= start",
            end.applicationThreads() <= start.applicationThreads()));
    checks.add(
        new Check(
            "open file descriptors",
            Integer.toString(start.fds()),
            Integer.toString(end.fds()),
            "end <= start",
            end.fds() <= start.fds()));
    checks.add(
        new Check(
            "router exit status on SIGTERM after the soak",
            "",
            routerExit == -1 ? "still running after 30 s" : Integer.toString(routerExit),
            "0",
            routerExit == 0));
    List<String> none = new ArrayList<>();
    List<String> required = new ArrayList<>(OPERATIONS_THAT_MUST_SUCCEED);
    if (settings.slowClients() > 0) {
      required.addAll(SLOW_OPERATIONS);
    }
    Map<Tally.Key, Long> snap = soak.snapshot();
    for (String op : required) {
      if (snap.getOrDefault(new Tally.Key(op, Tally.Verdict.OK, ""), 0L) == 0) {
        none.add(op);
      }
    }
    checks.add(
        new Check(
            "every kind of traffic succeeded (the harness works)",
            "",
            none.isEmpty() ? "all " + required.size() : "none for " + String.join(", ", none),
            "each >= 1",
            none.isEmpty()));
    return checks;
  }

  /** Writes the report; returns true when every check passed. */
  boolean write(Path file) throws IOException {
    List<Check> checks = checks();
    boolean pass = checks.stream().allMatch(Check::pass);
    StringBuilder md = new StringBuilder();
    md.append("# Soak run of the reference router: ").append(pass ? "PASS" : "FAIL").append("\n\n");
    if (aborted != null) {
      md.append("**Stopped early: ").append(aborted).append("** (see `router.log`)\n\n");
    }
    md.append("- Command: `").append(Machine.command()).append("`\n");
    md.append("- Started ").append(t(started)).append(", soak traffic ").append(t(trafficStarted));
    md.append(" to ").append(t(trafficStopping)).append(" (");
    md.append(minutes(trafficStarted, trafficStopping)).append(", then ");
    md.append(minutes(trafficStopping, trafficEnded)).append(" for the clients to finish),");
    md.append(" ended ").append(t(ended)).append("\n");
    md.append("- Machine: ").append(Machine.describe()).append("\n");
    md.append("- Router: `java ").append(String.join(" ", settings.routerJvmArgs()));
    md.append(" -jar ").append(settings.jar()).append(" --config router.yaml`, pid ");
    md.append(routerPid).append("\n");
    md.append("- Settings: ");
    List<String> kv = new ArrayList<>();
    settings.describe().forEach((k, v) -> kv.add("`" + k + "=" + v + "`"));
    md.append(String.join(", ", kv)).append("\n\n");

    md.append("## Checks\n\n| check | start | end | rule | result |\n|---|---|---|---|---|\n");
    for (Check c : checks) {
      md.append("| ").append(c.name()).append(" | ").append(c.start()).append(" | ");
      md.append(c.end()).append(" | ").append(c.rule()).append(" | ");
      md.append(c.pass() ? "PASS" : "**FAIL**").append(" |\n");
    }
    if (start != null && end != null) {
      figures(md);
    } else {
      md.append("\n");
    }

    md.append("## Requests by kind (soak phase)\n\n");
    table(md, soak);
    md.append("\nWarm-up (").append(settings.warmupSeconds()).append(" s, same traffic): ");
    long[] w = Samples.totals(warmup);
    md.append(w[0]).append(" ok, ").append(w[1]).append(" expected failures, ");
    md.append(w[2]).append(" unexpected.\n\n");

    md.append("## Failures by kind\n\n");
    failures(md, "soak", soak);
    failures(md, "warm-up", warmup);
    md.append("\nExamples (the first few of each kind, with the request id, `X-Soak-Id`):\n\n");
    List<Tally.Example> examples = new ArrayList<>(soak.examples());
    examples.addAll(warmup.examples());
    if (examples.isEmpty()) {
      md.append("- none\n");
    }
    for (Tally.Example ex : examples) {
      md.append("- ").append(t(ex.time())).append(" ").append(ex.key().op()).append(" / ");
      md.append(ex.key().kind()).append(": ").append(ex.detail().replace("|", "\\|"));
      md.append("\n");
    }

    md.append("\n## Disturbances (warm-up and soak)\n\n");
    md.append("- discovery file rewritten ").append(churnWrites).append(" times (");
    md.append(churnAdds).append(" endpoint additions, ").append(churnRemoves);
    md.append(" removals); the router logged ").append(reloads).append(" reloads\n");
    md.append("- backends restarted: ").append(restarts).append(" (").append(moves);
    md.append(" of them on a new port); drains that timed out after ");
    md.append(settings.drainSeconds()).append(" s: ").append(drainTimeouts);
    md.append("; requests and sessions cut by a stop: ").append(cutOnRestart);
    md.append(" (ids recorded: ").append(killed).append(")\n");
    md.append("- restarts whose two router reloads did not show within 10 s: ");
    md.append(reloadWaitTimeouts).append("\n");
    md.append("- requests the backends received: ").append(backendRequests);
    md.append("; of them arriving more than 5 s after their backend left the file: ");
    md.append(lateArrivals);
    if (firstLateArrival != null) {
      md.append(" (first: ").append(firstLateArrival).append(")");
    }
    md.append("\n\n");

    md.append("## Samples\n\nEvery minute of the soak (after a full GC), every 5 s of the quiet");
    md.append(" phases (no GC: heap columns -1). Also in `soak-samples.csv`.\n\n");
    md.append("| phase | t (s) | RSS MB | heap after GC MB | live MB | threads | app threads");
    md.append(" | fds | client sockets | upstream sockets | ok | expected | unexpected | listed");
    md.append(" | restarts |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Samples.Sample x : samples) {
      ProcessProbe.Figures f = x.figures();
      md.append("| ").append(x.phase()).append(" | ").append(x.elapsedSeconds()).append(" | ");
      md.append(mb(f.rssKb() * 1024)).append(" | ").append(mb(f.heapUsedAfterGcKb() * 1024));
      md.append(" | ").append(mb(f.liveObjectBytes())).append(" | ").append(f.threads());
      md.append(" | ").append(f.applicationThreads()).append(" | ").append(f.fds());
      md.append(" | ").append(f.sockets().getOrDefault("client", 0)).append(" | ");
      md.append(f.sockets().getOrDefault("upstream", 0)).append(" | ");
      md.append(x.ok()).append(" | ").append(x.expected()).append(" | ");
      md.append(x.unexpected()).append(" | ").append(x.listed()).append(" | ");
      md.append(x.restarts()).append(" |\n");
    }

    md.append("\n## Router log\n\n").append(routerLogLines).append(" lines, ");
    md.append(routerWarnLines).append(" WARN, ").append(routerErrorLines).append(" ERROR");
    md.append(" (in `router.log`).");
    if (!routerProblems.isEmpty()) {
      md.append(" WARN and ERROR messages:\n\n");
      routerProblems.forEach(
          (m, n) -> md.append("- ").append(n).append(" x `").append(m).append("`\n"));
    } else {
      md.append("\n");
    }
    md.append("\n").append(EXPECTATIONS);
    Files.writeString(file, md);
    return pass;
  }

  static final String EXPECTATIONS =
      """
      ## What counts as expected

      The churn is designed so that a correct router produces no failure: endpoints only ever
      name running backends, at least two are listed at any time, and a backend is restarted (on
      its port, or on a new one as a replaced ECS task) only after it left the file, the router
      logged two reloads since, 2 s passed and its requests and WebSocket sessions drained. So
      every failure is unexpected except:

      - a failure of a request or WebSocket session whose backend was stopped with it still in
        flight (the drain timed out after `soak.drainSeconds`; the backend records the
        `X-Soak-Id`s it cut, so the harness knows exactly which): the task went away mid-request;
      - for the stalled clients only: a `408`, or the connection closed (or reset) without an
        answer, at least 5 s after the stall began: the router's client timeout doing its job.

      Unexpected, for example: any non-200 to a normal or slow client (a slow client finishes each
      request in about 5-15 s, far inside any sane client timeout), a wrong body or echo, a reset,
      a connection closed mid-response, a client timeout (30 s per response, 15 s per WebSocket
      step), a stalled client still held after `soak.stallLimitSeconds`. Operations still under
      way when the traffic stops are counted as cut, neither good nor bad.
      """;

  private void figures(StringBuilder md) {
    md.append("\nOther figures (start -> end, both after ").append(settings.quietSeconds());
    md.append(" s without traffic):\n\n");
    md.append("- RSS: ").append(kb(start.rssKb() * 1024)).append(" -> ");
    md.append(kb(end.rssKb() * 1024)).append("\n");
    md.append("- heap in use right after the full GC (GC.heap_info): ");
    md.append(kb(start.heapUsedAfterGcKb() * 1024)).append(" -> ");
    md.append(kb(end.heapUsedAfterGcKb() * 1024)).append("\n");
    md.append("- all threads: ").append(start.threads()).append(" -> ").append(end.threads());
    md.append("\n- file descriptors by kind: ").append(start.fdKinds()).append(" -> ");
    md.append(end.fdKinds()).append("\n");
    md.append("- sockets by role: ").append(start.sockets()).append(" -> ");
    md.append(end.sockets()).append("\n");
    md.append("- threads at the end: ").append(end.threadNames()).append("\n");
    md.append("- threads whose count changed: ").append(threadChanges()).append("\n");
    md.append(
        "- classes whose live bytes changed most (`histogram-start.txt` -> `histogram-end.txt`): ");
    md.append(histogramChanges()).append("\n\n");
  }

  private String histogramChanges() {
    Map<String, Long> a = ProcessProbe.histogramBytes(startHistogram);
    Map<String, Long> b = ProcessProbe.histogramBytes(endHistogram);
    Set<String> names = new TreeSet<>(a.keySet());
    names.addAll(b.keySet());
    List<Map.Entry<String, Long>> deltas = new ArrayList<>();
    for (String n : names) {
      long d = b.getOrDefault(n, 0L) - a.getOrDefault(n, 0L);
      if (d != 0) {
        deltas.add(Map.entry(n, d));
      }
    }
    deltas.sort((x, y) -> Long.compare(Math.abs(y.getValue()), Math.abs(x.getValue())));
    List<String> top = new ArrayList<>();
    for (Map.Entry<String, Long> e : deltas.subList(0, Math.min(8, deltas.size()))) {
      top.add(String.format("`%s` %+,d B", e.getKey(), e.getValue()));
    }
    return top.isEmpty() ? "none" : String.join(", ", top);
  }

  private String threadChanges() {
    Set<String> names = new TreeSet<>(start.threadNames().keySet());
    names.addAll(end.threadNames().keySet());
    List<String> changed = new ArrayList<>();
    for (String n : names) {
      int a = start.threadNames().getOrDefault(n, 0);
      int b = end.threadNames().getOrDefault(n, 0);
      if (a != b) {
        changed.add("`" + n + "` " + a + " -> " + b);
      }
    }
    return changed.isEmpty() ? "none" : String.join(", ", changed);
  }

  private static void table(StringBuilder md, Tally tally) {
    Map<Tally.Key, Long> snap = tally.snapshot();
    Map<String, Long> max = tally.maxMillis();
    Set<String> ops = new TreeSet<>();
    snap.keySet().forEach(k -> ops.add(k.op()));
    md.append("| operation | ok | expected failures | unexpected failures | cut at the end |");
    md.append(" longest ok (ms) |\n|---|---|---|---|---|---|\n");
    long[] sum = new long[4];
    for (String op : ops) {
      long[] n = new long[4];
      snap.forEach(
          (k, v) -> {
            if (k.op().equals(op)) {
              n[k.verdict().ordinal()] += v;
            }
          });
      md.append("| ").append(op);
      for (int i = 0; i < 4; i++) {
        md.append(" | ").append(n[i]);
        sum[i] += n[i];
      }
      md.append(" | ").append(max.getOrDefault(op, 0L)).append(" |\n");
    }
    md.append("| **all**");
    for (long n : sum) {
      md.append(" | **").append(n).append("**");
    }
    md.append(" | |\n");
  }

  private static void failures(StringBuilder md, String phase, Tally tally) {
    boolean any = false;
    for (Map.Entry<Tally.Key, Long> e : tally.snapshot().entrySet()) {
      Tally.Key k = e.getKey();
      if (k.verdict() == Tally.Verdict.OK) {
        continue;
      }
      if (!any) {
        md.append("| phase | operation | verdict | kind | count |\n|---|---|---|---|---|\n");
        any = true;
      }
      md.append("| ").append(phase).append(" | ").append(k.op()).append(" | ");
      md.append(k.verdict().name().toLowerCase(java.util.Locale.ROOT)).append(" | ");
      md.append(k.kind()).append(" | ").append(e.getValue()).append(" |\n");
    }
    if (!any) {
      md.append("No failure in the ").append(phase).append(" phase.\n\n");
    } else {
      md.append("\n");
    }
  }

  private static String t(Instant i) {
    return i == null ? "-" : i.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String minutes(Instant a, Instant b) {
    if (a == null || b == null) {
      return "-";
    }
    Duration d = Duration.between(a, b);
    return String.format("%d min %02d s", d.toMinutes(), d.toSecondsPart());
  }

  private static String kb(long bytes) {
    return bytes < 0 ? "n/a" : String.format("%,d KB", bytes / 1024);
  }

  private static String mb(long bytes) {
    return bytes < 0 ? "-1" : String.format("%.1f", bytes / 1048576.0);
  }
}
