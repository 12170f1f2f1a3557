package dev.whaleray.examples.filelines;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.discovery.AbstractDiscovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Endpoints from files: service {@code id} is the file {@code <dir>/id}, one endpoint per line,
 * {@code host:port} followed by optional {@code weight=N}, {@code zone=Z} and any other {@code
 * key=value} (kept as an attribute); blank lines and {@code #} comments are ignored.
 *
 * <pre>
 * # /etc/whaleray/services/orders
 * 10.0.1.15:32768 zone=us-east-1a
 * 10.0.2.27:32771 weight=2 zone=us-east-1b
 * </pre>
 *
 * <p>No file: the service is unknown (502). An empty file: known, no endpoint (503). A file that
 * cannot be read or has a bad line: an error, the last good endpoints stay.
 *
 * <p>How it uses {@link AbstractDiscovery}: {@link #doWatch} starts re-reading the file of a
 * service every {@code refresh} and {@link #doUnwatch} stops it; each read {@link #publish}es the
 * full state, and the base class drops it when it is unchanged, numbers revisions, and calls the
 * listeners serially. File reads are blocking IO, so they run on a thread of this discovery, never
 * on the router's control scheduler. Thread-safe.
 */
public final class FileLinesDiscovery extends AbstractDiscovery {
  private final Path dir;
  private final long refreshMillis;
  private final ScheduledExecutorService reader;
  private final Map<String, ScheduledFuture<?>> polls = new ConcurrentHashMap<>();

  /**
   * @param dir the directory of service files
   * @param refresh how often a watched service's file is read again
   * @param controlExecutor where listener callbacks run (the router's control scheduler)
   */
  public FileLinesDiscovery(Path dir, Duration refresh, Executor controlExecutor) {
    super(controlExecutor);
    this.dir = dir;
    this.refreshMillis = refresh.toMillis();
    this.reader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "whaleray-file-lines");
              t.setDaemon(true);
              return t;
            });
  }

  /** The first watch of a service: read it now, then every {@code refresh}, on our thread. */
  @Override
  protected void doWatch(String service) {
    polls.put(
        service,
        reader.scheduleWithFixedDelay(
            () -> read(service), 0, refreshMillis, TimeUnit.MILLISECONDS));
  }

  /** The last watch closed: stop reading. */
  @Override
  protected void doUnwatch(String service) {
    ScheduledFuture<?> poll = polls.remove(service);
    if (poll != null) {
      poll.cancel(false);
    }
  }

  /** A watcher asks for fresh endpoints (e.g. after a connect failure): read now. */
  @Override
  protected void doRefresh(String service) {
    reader.execute(() -> read(service));
  }

  @Override
  protected void doClose() {
    reader.shutdownNow();
  }

  private void read(String service) {
    // Service names are DNS labels; anything else must not become a path.
    if (!service.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
      publish(EndpointSet.unknown(service, 0));
      return;
    }
    Path file = dir.resolve(service);
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      publish(EndpointSet.unknown(service, 0));
      return;
    } catch (IOException e) {
      publishError(service, e);
      return;
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash).strip();
      }
      if (line.isEmpty()) {
        continue;
      }
      try {
        endpoints.add(parse(line));
      } catch (IllegalArgumentException e) {
        publishError(
            service,
            new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage()));
        return;
      }
    }
    publish(EndpointSet.of(service, 0, endpoints));
  }

  /** {@code host:port [weight=N] [zone=Z] [key=value ...]}. */
  static Endpoint parse(String line) {
    String[] parts = line.split("\\s+");
    Endpoint first = Endpoint.parse(parts[0]);
    Endpoint.Builder b = first.toBuilder();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("'" + parts[i] + "' (expected: key=value)");
      }
      String key = parts[i].substring(0, eq);
      String value = parts[i].substring(eq + 1);
      switch (key) {
        case "weight":
          try {
            b.weight(Integer.parseInt(value));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("weight: '" + value + "' (expected: a number)");
          }
          break;
        case "zone":
          b.zone(value);
          break;
        default:
          b.attribute(key, value);
      }
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "FileLinesDiscovery{dir=" + dir + ", refresh=" + refreshMillis + "ms}";
  }
}
