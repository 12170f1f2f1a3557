package dev.whaleray.router.undertow.internal.edge;

import java.lang.reflect.Field;
import org.jspecify.annotations.Nullable;
import org.xnio.conduits.AbstractConduit;
import org.xnio.conduits.StreamSourceConduit;

/**
 * The one way into a read conduit chain that Undertow builds and does not expose: XNIO's {@code
 * AbstractConduit.next}, read by reflection once resolved. Used to put the strict chunked decoder
 * under Undertow's exchange and to find the connection guard's head timer under Undertow's own
 * conduits.
 */
final class Conduits {
  private static final System.Logger LOG = System.getLogger(Conduits.class.getName());
  private static final @Nullable Field NEXT = nextField();

  private Conduits() {}

  private static @Nullable Field nextField() {
    try {
      Field f = AbstractConduit.class.getDeclaredField("next");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.ERROR,
          "cannot reach XNIO's AbstractConduit.next: chunked request bodies will be refused (501)"
              + " and slow request heads closed without a 408",
          e);
      return null;
    }
  }

  /** The conduit {@code c} reads from, or null when there is none or it cannot be reached. */
  static @Nullable StreamSourceConduit below(StreamSourceConduit c) {
    if (NEXT == null || !(c instanceof AbstractConduit)) {
      return null;
    }
    try {
      return (StreamSourceConduit) NEXT.get(c);
    } catch (IllegalAccessException | ClassCastException e) {
      return null;
    }
  }
}
