package dev.whaleray.router.undertow.internal.proxy;

import io.undertow.server.HttpServerExchange;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * Private fields of Undertow's {@link HttpServerExchange} the request path reads where Undertow's
 * getters would allocate or build what the router does not need ({@link DirectResponse}, {@link
 * RequestHead#remote}). Each is null where it cannot be read (another Undertow, or a module setting
 * that denies it): callers then use Undertow's API as before.
 */
final class ExchangeFields {
  private ExchangeFields() {}

  /** The field {@code name} of {@link HttpServerExchange}, or null when it cannot be read. */
  static @Nullable VarHandle find(String name) {
    try {
      return MethodHandles.privateLookupIn(HttpServerExchange.class, MethodHandles.lookup())
          .unreflectVarHandle(HttpServerExchange.class.getDeclaredField(name));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
