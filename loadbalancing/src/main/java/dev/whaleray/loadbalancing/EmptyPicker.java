package dev.whaleray.loadbalancing;

import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;

/** The picker of an empty snapshot: always none (no endpoint, 503). */
final class EmptyPicker implements Picker {
  static final EmptyPicker INSTANCE = new EmptyPicker();

  private EmptyPicker() {}

  @Override
  public PickResult pick(RequestView request, Tried tried) {
    return PickResult.none();
  }

  @Override
  public String toString() {
    return "EmptyPicker";
  }
}
