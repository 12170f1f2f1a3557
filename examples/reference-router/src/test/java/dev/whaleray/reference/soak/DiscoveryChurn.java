package dev.whaleray.reference.soak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * The router's YAML config file, whose {@code discovery.static} section the router hot-reloads.
 * Every {@link #tick} adds or removes one endpoint of service {@code soak} and rewrites the file
 * (atomically: a temporary file renamed over it, as config management tools do), keeping at least
 * two running backends listed. A backend being restarted is {@link #block blocked}: taken out of
 * the file and never added back until {@link #unblock}.
 */
final class DiscoveryChurn {
  static final String SERVICE = "soak";
  static final int MIN_LISTED = 2;

  private final Path file;
  private final String head;
  private final List<SoakBackend> backends;
  private final Random random = new Random(42);
  private final Set<SoakBackend> listed = new LinkedHashSet<>();
  private @Nullable SoakBackend blocked;
  private long writes;
  private long adds;
  private long removes;
  private long lastWriteNanos;

  DiscoveryChurn(Path file, int routerPort, int adminPort, List<SoakBackend> backends) {
    this.file = file;
    this.backends = List.copyOf(backends);
    this.head =
        "# Written by the soak harness (dev.whaleray.reference.soak), rewritten every second.\n"
            + "host: 127.0.0.1\n"
            + "port: "
            + routerPort
            + "\n"
            + "adminPort: "
            + adminPort
            + "\n"
            + "discovery:\n"
            + "  type: static\n"
            + "  static:\n";
  }

  Path file() {
    return file;
  }

  /** Lists every backend: the state the start and end figures are taken in. */
  synchronized void listAll() {
    for (SoakBackend b : backends) {
      setListed(b, true);
    }
    write();
  }

  /** Adds or removes one endpoint and rewrites the file. */
  synchronized void tick() {
    List<SoakBackend> addable = new ArrayList<>();
    for (SoakBackend b : backends) {
      if (!listed.contains(b) && b != blocked) {
        addable.add(b);
      }
    }
    boolean add = listed.size() <= MIN_LISTED || (!addable.isEmpty() && random.nextBoolean());
    if (add && !addable.isEmpty()) {
      setListed(addable.get(random.nextInt(addable.size())), true);
      adds++;
    } else if (listed.size() > MIN_LISTED) {
      List<SoakBackend> removable = new ArrayList<>(listed);
      setListed(removable.get(random.nextInt(removable.size())), false);
      removes++;
    }
    write();
  }

  /** Takes {@code b} out of the file (rewriting it at once) and keeps it out; returns the time. */
  synchronized long block(SoakBackend b) {
    blocked = b;
    setListed(b, false);
    if (listed.size() < MIN_LISTED) {
      for (SoakBackend other : backends) {
        if (other != b && listed.size() < MIN_LISTED) {
          setListed(other, true);
        }
      }
    }
    write();
    return lastWriteNanos;
  }

  /** Lets the churn list the blocked backend again. */
  synchronized void unblock() {
    blocked = null;
  }

  synchronized int listedCount() {
    return listed.size();
  }

  synchronized long writes() {
    return writes;
  }

  synchronized long adds() {
    return adds;
  }

  synchronized long removes() {
    return removes;
  }

  private void setListed(SoakBackend b, boolean in) {
    if (in ? listed.add(b) : listed.remove(b)) {
      b.outOfDiscovery(!in);
    }
  }

  private void write() {
    StringJoiner endpoints = new StringJoiner(", ", "[ ", " ]");
    for (SoakBackend b : backends) {
      if (listed.contains(b)) {
        endpoints.add("\"" + b.address() + "\"");
      }
    }
    String yaml = head + "    " + SERVICE + ": " + endpoints + "\n";
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, yaml);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file, e);
    }
    writes++;
    lastWriteNanos = System.nanoTime();
  }
}
