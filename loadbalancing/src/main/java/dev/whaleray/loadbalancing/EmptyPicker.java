package dev.whaleray.loadbalancing;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import org.jspecify.annotations.Nullable;

/** The picker of an empty snapshot: always null (no endpoint, 503). */
final class EmptyPicker implements Picker {
  static final EmptyPicker INSTANCE = new EmptyPicker();

  private EmptyPicker() {}

  @Override
  public @Nullable Upstream pick(RequestView request) {
    return null;
  }

  @Override
  public String toString() {
    return "EmptyPicker";
  }
}
