package dev.whaleray.router.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Looks up providers by name through {@link ServiceLoader}: among providers of one name the
 * available one with the highest priority wins, then the first found. Not an API. Thread-safe:
 * stateless, each call scans the class loader anew.
 */
public final class ProviderRegistry<T> {
  private static final System.Logger LOG = System.getLogger(ProviderRegistry.class.getName());

  private final Class<T> type;
  private final Function<T, String> name;
  private final ToIntFunction<T> priority;
  private final Predicate<T> available;
  private final Function<T, @Nullable String> unavailableReason;

  /** A registry of one provider type. */
  public ProviderRegistry(
      Class<T> type, Function<T, String> name, ToIntFunction<T> priority, Predicate<T> available) {
    this(type, name, priority, available, p -> null);
  }

  /**
   * A registry of one provider type whose providers can say why they are unavailable ({@code
   * unavailableReason}: null when they do not say); {@link #get} puts that in its error.
   */
  public ProviderRegistry(
      Class<T> type,
      Function<T, String> name,
      ToIntFunction<T> priority,
      Predicate<T> available,
      Function<T, @Nullable String> unavailableReason) {
    this.type = type;
    this.name = name;
    this.priority = priority;
    this.available = available;
    this.unavailableReason = unavailableReason;
  }

  /** Every available provider, in registration order. */
  public List<T> all(ClassLoader loader) {
    return scan(loader, null);
  }

  /**
   * The available providers, in registration order; the unavailable ones go to {@code unavailable}
   * when it is not null.
   */
  private List<T> scan(ClassLoader loader, @Nullable List<T> unavailable) {
    List<T> result = new ArrayList<>();
    var iterator = ServiceLoader.load(type, loader).iterator();
    while (true) {
      T provider;
      try {
        if (!iterator.hasNext()) {
          break;
        }
        provider = iterator.next();
      } catch (ServiceConfigurationError e) {
        LOG.log(System.Logger.Level.WARNING, "skipping a broken " + type.getSimpleName(), e);
        continue;
      }
      boolean ok;
      try {
        ok = available.test(provider);
      } catch (RuntimeException e) {
        ok = false;
      }
      if (ok) {
        result.add(provider);
      } else if (unavailable != null) {
        unavailable.add(provider);
      }
    }
    return result;
  }

  /** The winning provider of {@code wanted}, or an exception naming what is on offer. */
  public T get(String wanted, ClassLoader loader, String field) {
    T best = null;
    List<T> unavailable = new ArrayList<>();
    for (T p : scan(loader, unavailable)) {
      if (name.apply(p).equals(wanted)
          && (best == null || priority.applyAsInt(p) > priority.applyAsInt(best))) {
        best = p;
      }
    }
    if (best == null) {
      String why = "";
      for (T p : unavailable) {
        String reason = name.apply(p).equals(wanted) ? reason(p) : null;
        if (reason != null) {
          why = ": " + reason;
          break;
        }
      }
      throw new IllegalArgumentException(
          field
              + ": '"
              + wanted
              + "' is not available"
              + why
              + " (expected one of: "
              + names(loader)
              + ")");
    }
    return best;
  }

  /** What an unavailable provider says is missing, or null (also when asking throws). */
  private @Nullable String reason(T provider) {
    try {
      String reason = unavailableReason.apply(provider);
      return reason == null || reason.isBlank() ? null : reason.strip();
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  /** The names of every available provider, sorted. */
  public Set<String> names(ClassLoader loader) {
    Set<String> names = new TreeSet<>();
    for (T p : all(loader)) {
      names.add(name.apply(p));
    }
    return names;
  }
}
