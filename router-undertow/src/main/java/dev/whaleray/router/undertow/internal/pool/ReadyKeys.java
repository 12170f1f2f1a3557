package dev.whaleray.router.undertow.internal.pool;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/**
 * The keys one select found ready, kept in an array in the order the selector reported them, in
 * place of the JDK selector's {@code HashSet} (as Netty does for its own selectors). XNIO handles
 * the ready keys of each select in the set's order: with the {@code HashSet} that is an order fixed
 * by the keys' hash codes, so the same connections wait for all the others in every turn of the
 * event loop; here a connection that became ready first is served first. Each select also no longer
 * allocates a node per ready key.
 *
 * <p>A key is in the set once: {@link #contains} looks it up in a small identity table, as XNIO
 * also selects outside its loop (when a connection closes) without emptying the set, and the JDK
 * then merges what a key is ready for instead of adding it again.
 *
 * <p>On unless {@code -Dwhaleray.orderedReadyKeys=false}; it needs {@code --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED} (the reference router's jar declares it), and without it XNIO
 * keeps the JDK's set. Against the JDK's set in the same seconds on one core it took 3-5 % less CPU
 * per request and had an 11-14 % lower p99 at 64 and 256 connections (1.4-2.2 % and 3-13 % with the
 * sides swapped); an earlier run, of its first cut, had it cost 10 % more at 16 (jmh/RESULTS.md).
 */
public final class ReadyKeys extends AbstractSet<SelectionKey> {
  private static final System.Logger LOG = System.getLogger(ReadyKeys.class.getName());

  /** System property that turns the ordered set off ({@code whaleray.orderedReadyKeys=false}). */
  public static final String PROPERTY = "whaleray.orderedReadyKeys";

  /** The keys in the order they were added. */
  private @Nullable SelectionKey[] keys = new SelectionKey[64];

  /** The same keys by identity, open addressing; twice as many slots as {@link #keys}. */
  private @Nullable SelectionKey[] table = new SelectionKey[128];

  private int size;

  ReadyKeys() {}

  @Override
  public boolean add(SelectionKey key) {
    if (contains(key)) {
      return false;
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      rebuild(size * 4);
    }
    keys[size++] = key;
    put(key);
    return true;
  }

  @Override
  public boolean contains(@Nullable Object o) {
    if (size == 0 || o == null) {
      return false;
    }
    int mask = table.length - 1;
    for (int i = slot(o, mask); table[i] != null; i = (i + 1) & mask) {
      if (table[i] == o) {
        return true;
      }
    }
    return false;
  }

  private static int slot(Object o, int mask) {
    int h = System.identityHashCode(o);
    return (h ^ (h >>> 16)) & mask;
  }

  private void put(SelectionKey key) {
    int mask = table.length - 1;
    int i = slot(key, mask);
    while (table[i] != null) {
      i = (i + 1) & mask;
    }
    table[i] = key;
  }

  private void rebuild(int slots) {
    table = new SelectionKey[slots];
    for (int i = 0; i < size; i++) {
      put(java.util.Objects.requireNonNull(keys[i]));
    }
  }

  /** The JDK removes a cancelled key on deregistration; rare, so the table is built again. */
  @Override
  public boolean remove(@Nullable Object o) {
    for (int i = 0; i < size; i++) {
      if (keys[i] == o) {
        removeAt(i);
        return true;
      }
    }
    return false;
  }

  private void removeAt(int i) {
    System.arraycopy(keys, i + 1, keys, i, size - i - 1);
    keys[--size] = null;
    rebuild(table.length);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void clear() {
    if (size > 0) {
      Arrays.fill(keys, 0, size, null);
      Arrays.fill(table, null);
      size = 0;
    }
  }

  @Override
  public Object[] toArray() {
    return Arrays.copyOf(keys, size, Object[].class);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T[] toArray(T[] a) {
    T[] out = a.length >= size ? a : Arrays.copyOf(a, size);
    System.arraycopy(keys, 0, out, 0, size);
    if (out.length > size) {
      out[size] = null; // as Collection.toArray(T[]) says
    }
    return out;
  }

  @Override
  public Iterator<SelectionKey> iterator() {
    return new Iterator<>() {
      private int next;
      private int last = -1;

      @Override
      public boolean hasNext() {
        return next < size;
      }

      @Override
      public SelectionKey next() {
        if (next >= size) {
          throw new NoSuchElementException();
        }
        last = next++;
        return java.util.Objects.requireNonNull(keys[last]);
      }

      @Override
      public void remove() {
        if (last < 0) {
          throw new IllegalStateException();
        }
        removeAt(last);
        next = last;
        last = -1;
      }
    };
  }

  /**
   * Puts a new set into {@code selector} in place of the JDK's; false where the JDK does not allow
   * it (without {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}) or the selector is not the
   * JDK's. Call it on the selector's own thread between two selects, when its set is empty.
   */
  static boolean install(Selector selector) {
    return install(selector, System.Logger.Level.WARNING);
  }

  /** {@link #install(Selector)}, telling why not at {@code level}. */
  static boolean install(Selector selector, System.Logger.Level level) {
    try {
      Class<?> impl = Class.forName("sun.nio.ch.SelectorImpl", false, null);
      if (!impl.isInstance(selector) || !selector.selectedKeys().isEmpty()) {
        LOG.log(level, "ready keys left in the JDK's order: " + selector);
        return false;
      }
      Field selected = impl.getDeclaredField("selectedKeys");
      Field published = impl.getDeclaredField("publicSelectedKeys");
      selected.setAccessible(true);
      published.setAccessible(true);
      ReadyKeys set = new ReadyKeys();
      Object before = selected.get(selector);
      selected.set(selector, set);
      try {
        published.set(selector, set);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // Never half: the JDK would fill one set while XNIO reads the other.
        selected.set(selector, before);
        throw e;
      }
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(level, "ready keys left in the JDK's order (is java.base/sun.nio.ch opened?): " + e);
      return false;
    }
  }

  /**
   * Installs the set in the selector of each of {@code worker}'s IO threads, on that thread, unless
   * the property says {@code false}. Where it cannot, XNIO keeps the JDK's set, which works the
   * same but for the order: a WARNING when the property asked for the set, else one INFO line per
   * IO thread (an embedding application that did not open {@code sun.nio.ch}).
   */
  public static void installIn(XnioWorker worker) {
    installIn(worker, System.getProperty(PROPERTY));
  }

  /** {@link #installIn(XnioWorker)} with the property's value {@code asked} (null: not set). */
  static void installIn(XnioWorker worker, @Nullable String asked) {
    if ("false".equalsIgnoreCase(asked)) {
      return;
    }
    System.Logger.Level level =
        "true".equalsIgnoreCase(asked) ? System.Logger.Level.WARNING : System.Logger.Level.INFO;
    Method selectorOf;
    try {
      // XNIO's NIO worker threads keep their selector behind a package-private getter.
      selectorOf = worker.getIoThread(0).getClass().getDeclaredMethod("getSelector");
      selectorOf.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(level, "no XNIO selector to order: " + e);
      return;
    }
    for (int i = 0; i < worker.getIoThreadCount(); i++) {
      XnioIoThread thread = worker.getIoThread(i);
      thread.execute(
          () -> {
            try {
              Object selector = selectorOf.invoke(thread);
              if (selector instanceof Selector) {
                install((Selector) selector, level);
              }
            } catch (ReflectiveOperationException | RuntimeException e) {
              LOG.log(level, "no XNIO selector to order: " + e);
            }
          });
    }
  }
}
