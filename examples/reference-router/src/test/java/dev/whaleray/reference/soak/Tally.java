package dev.whaleray.reference.soak;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Thread-safe counters of what the soak's clients saw: per operation, how many succeeded, failed in
 * an expected way, failed in an unexpected way, or were cut short by the end of the run; per
 * failure, its kind (a status code, {@code reset}, {@code timeout}...). Keeps a few examples of
 * every failure kind, with the time and request id, so a report line can be traced in the logs.
 */
final class Tally {
  /** How an operation ended. */
  enum Verdict {
    OK,
    EXPECTED,
    UNEXPECTED,
    /** Still running when the traffic stopped and closed by the harness: neither good nor bad. */
    CUT
  }

  /** One counter's identity. */
  record Key(String op, Verdict verdict, String kind) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = op.compareTo(o.op);
      if (c == 0) {
        c = verdict.compareTo(o.verdict);
      }
      return c == 0 ? kind.compareTo(o.kind) : c;
    }
  }

  /** A failure as seen, for the report. */
  record Example(Instant time, Key key, String detail) {}

  private static final int EXAMPLES_PER_KEY = 5;

  private final Map<Key, LongAdder> counts = new ConcurrentHashMap<>();
  private final Map<String, LongAccumulator> maxMillis = new ConcurrentHashMap<>();
  private final Map<Key, List<Example>> examples = new ConcurrentHashMap<>();

  void ok(String op, long startNanos) {
    add(new Key(op, Verdict.OK, ""));
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    maxMillis.computeIfAbsent(op, k -> new LongAccumulator(Math::max, 0)).accumulate(millis);
  }

  void fail(String op, Failure failure, String detail) {
    Key key =
        new Key(op, failure.expected() ? Verdict.EXPECTED : Verdict.UNEXPECTED, failure.kind());
    add(key);
    List<Example> list =
        examples.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()));
    synchronized (list) {
      if (list.size() < EXAMPLES_PER_KEY) {
        list.add(new Example(Instant.now(), key, detail + failure.why()));
      }
    }
  }

  void cut(String op) {
    add(new Key(op, Verdict.CUT, "closed at the end of the traffic"));
  }

  private void add(Key key) {
    counts.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  /** Every counter, sorted by operation, verdict and kind. */
  Map<Key, Long> snapshot() {
    Map<Key, Long> m = new TreeMap<>();
    counts.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** The longest successful operation, per operation, in milliseconds. */
  Map<String, Long> maxMillis() {
    Map<String, Long> m = new TreeMap<>();
    maxMillis.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  /** The first few examples of every failure kind. */
  List<Example> examples() {
    List<Example> all = new ArrayList<>();
    examples.values().forEach(l -> all.addAll(List.copyOf(l)));
    all.sort((a, b) -> a.key().compareTo(b.key()));
    return all;
  }

  /** The sum of the counters with {@code verdict}. */
  static long total(Map<Key, Long> snapshot, Verdict verdict) {
    long n = 0;
    for (Map.Entry<Key, Long> e : snapshot.entrySet()) {
      if (e.getKey().verdict() == verdict) {
        n += e.getValue();
      }
    }
    return n;
  }
}
