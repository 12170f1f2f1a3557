package dev.whaleray.loadbalancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.List;

/** Shared helpers of the policy tests. */
final class Picks {
  static final RequestView REQUEST = RequestView.of("GET", "h", "/");

  private Picks() {}

  static EndpointSet set(Endpoint... endpoints) {
    return EndpointSet.of("svc", 1, List.of(endpoints));
  }

  static EndpointSet set(List<Endpoint> endpoints) {
    return EndpointSet.of("svc", 1, endpoints);
  }

  /** {@code count} endpoints 10.0.x.y:8080, all of weight 1, sorted. */
  static List<Endpoint> endpoints(int count) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(Endpoint.of("10.0." + (i / 250) + "." + (i % 250 + 1), 8080));
    }
    return list;
  }

  static List<Endpoint> pick(Picker picker, int n) {
    return pick(picker, REQUEST, n);
  }

  static List<Endpoint> pick(Picker picker, RequestView request, int n) {
    List<Endpoint> picked = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Upstream u = picker.pick(request);
      assertThat(u).as("pick %d", i).isNotNull();
      picked.add(u.endpoint());
    }
    return picked;
  }

  /** Pick counts per endpoint, in the order of {@code endpoints}; fails on a foreign endpoint. */
  static long[] counts(Picker picker, List<Endpoint> endpoints, int n) {
    long[] counts = new long[endpoints.size()];
    for (int i = 0; i < n; i++) {
      Upstream u = picker.pick(REQUEST);
      assertThat(u).as("pick %d", i).isNotNull();
      int index = endpoints.indexOf(u.endpoint());
      assertThat(index).as("picked %s", u.endpoint()).isNotNegative();
      counts[index]++;
    }
    return counts;
  }
}
