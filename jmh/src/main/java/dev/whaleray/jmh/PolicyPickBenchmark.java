package dev.whaleray.jmh;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProviders;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Every built-in policy, as the router gets it ({@code LoadBalancerProviders.get(policy)
 * .newLoadBalancer(context)}, i.e. decorated with slow start; no zone): {@link Picker#pick} at 3 to
 * 10,000 endpoints from one and two threads, and {@link LoadBalancer#update} of a 1,000-endpoint
 * snapshot.
 *
 * <p>Endpoints are {@code 10.x.y.z:3000} with weights 1, 2, 3, 1, 2, 3, ... (so {@code weighted}
 * runs its precomputed smooth schedule rather than plain round-robin). Requests rotate through
 * 1,024 views with distinct {@code X-Session-Id} headers, the {@code consistent-hash} key ({@code
 * hashKey=header:X-Session-Id}); the other policies ignore them. For {@code least-connections} the
 * setup starts (and never ends) two requests per endpoint through the picker, so the counters it
 * compares are not all zero. {@code pickWeightedStride} covers {@code weighted}'s fallback for
 * weight sums above 65,536.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PolicyPickBenchmark {

  static final String SERVICE = "svc";
  static final String SESSION_HEADER = "X-Session-Id";
  static final int REQUESTS = 1024;

  static LbContext context() {
    return LbContext.of(SERVICE).withOptions(Map.of("hashKey", "header:" + SESSION_HEADER));
  }

  /** {@code count} endpoints {@code 10.x.y.z:port} with weights {@code weight(i)}. */
  static List<Endpoint> endpoints(int count, int port, java.util.function.IntUnaryOperator weight) {
    List<Endpoint> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String host = "10." + ((i >>> 16) & 0xff) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff);
      list.add(Endpoint.builder(host, port).weight(weight.applyAsInt(i)).build());
    }
    return list;
  }

  static RequestView[] requests() {
    RequestView[] requests = new RequestView[REQUESTS];
    for (int i = 0; i < REQUESTS; i++) {
      requests[i] = new SessionRequest("session-" + (i * 7919));
    }
    return requests;
  }

  /** A request view with one header, the session id. */
  static final class SessionRequest implements RequestView {
    private final String session;

    SessionRequest(String session) {
      this.session = session;
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String host() {
      return "example.com";
    }

    @Override
    public String path() {
      return "/services/svc/items/42";
    }

    @Override
    public @Nullable String header(String name) {
      return name.equalsIgnoreCase(SESSION_HEADER) ? session : null;
    }
  }

  /** One picker of one policy over {@code endpoints} endpoints, shared by every thread. */
  @State(Scope.Benchmark)
  public static class PickState {
    @Param({"round-robin", "random", "weighted", "least-connections", "consistent-hash"})
    String policy;

    @Param({"3", "100", "1000", "10000"})
    int endpoints;

    LoadBalancer loadBalancer;
    Picker picker;
    RequestView[] requests;

    @Setup
    public void setUp() {
      loadBalancer = LoadBalancerProviders.get(policy).newLoadBalancer(context());
      picker =
          loadBalancer.update(
              EndpointSet.of(SERVICE, 1, endpoints(endpoints, 3000, i -> i % 3 + 1)));
      requests = requests();
      if (picker.toString().startsWith("SlowStart")) {
        throw new IllegalStateException("the first snapshot should not ramp: " + picker);
      }
      for (int i = 0; i < 2 * endpoints; i++) {
        Upstream u = picker.pick(requests[i % REQUESTS]);
        if (u == null) {
          throw new IllegalStateException(policy + " over " + endpoints + " picked nothing");
        }
        if (policy.equals("least-connections")) {
          u.onStart();
        }
      }
    }

    @TearDown
    public void tearDown() {
      loadBalancer.close();
    }
  }

  /** Each thread's position in the rotation of requests. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  /**
   * {@code weighted} with 1,000 endpoints of weights 100,003, 100,004 and 100,005 (sum about 10^8,
   * GCD 1): too large for a schedule, so picks binary-search the cumulative weights.
   */
  @State(Scope.Benchmark)
  public static class StrideState {
    LoadBalancer loadBalancer;
    Picker picker;
    RequestView request = RequestView.of("GET", "example.com", "/");

    @Setup
    public void setUp() {
      loadBalancer = LoadBalancerProviders.get("weighted").newLoadBalancer(context());
      picker =
          loadBalancer.update(
              EndpointSet.of(SERVICE, 1, endpoints(1000, 3000, i -> 100_003 + i % 3)));
      if (!picker.toString().startsWith("StridePicker")) {
        throw new IllegalStateException("expected the stride picker, got " + picker);
      }
    }

    @TearDown
    public void tearDown() {
      loadBalancer.close();
    }
  }

  /**
   * A load balancer of one policy and two prebuilt 1,000-endpoint snapshots that {@code
   * rebuildPicker} alternates between. {@code changed=all}: no endpoint in common (other port);
   * {@code changed=one}: one endpoint swapped for another, the usual discovery update (with slow
   * start, the newcomer ramps, so the update also builds the ramping picker).
   */
  @State(Scope.Thread)
  public static class RebuildState {
    static final int SIZE = 1000;

    @Param({"round-robin", "random", "weighted", "least-connections", "consistent-hash"})
    String policy;

    @Param({"all", "one"})
    String changed;

    LoadBalancer loadBalancer;
    EndpointSet first;
    EndpointSet second;
    boolean useSecond;

    @Setup
    public void setUp() {
      loadBalancer = LoadBalancerProviders.get(policy).newLoadBalancer(context());
      List<Endpoint> a = endpoints(SIZE, 3000, i -> i % 3 + 1);
      List<Endpoint> b;
      if (changed.equals("all")) {
        b = endpoints(SIZE, 4000, i -> i % 3 + 1);
      } else {
        b = new ArrayList<>(a);
        b.set(SIZE / 2, Endpoint.of("10.255.255.254", 3000));
      }
      first = EndpointSet.of(SERVICE, 1, a);
      second = EndpointSet.of(SERVICE, 2, b);
      if (first.size() != SIZE || second.size() != SIZE || first.sameContent(second)) {
        throw new IllegalStateException("expected two different sets of " + SIZE + " endpoints");
      }
    }

    @TearDown
    public void tearDown() {
      loadBalancer.close();
    }
  }

  /** One pick from one thread. */
  @Benchmark
  public PickResult pick(PickState state, Cursor cursor) {
    return state.picker.pick(state.requests[cursor.next++ & (REQUESTS - 1)], Tried.NONE);
  }

  /** One pick from each of two threads sharing the picker. */
  @Benchmark
  @Threads(2)
  public PickResult pickTwoThreads(PickState state, Cursor cursor) {
    return state.picker.pick(state.requests[cursor.next++ & (REQUESTS - 1)], Tried.NONE);
  }

  /** {@code weighted}'s stride fallback at 1,000 endpoints, one thread. */
  @Benchmark
  public PickResult pickWeightedStride(StrideState state) {
    return state.picker.pick(state.request, Tried.NONE);
  }

  /** {@code update()} with the other prebuilt 1,000-endpoint snapshot: builds a new picker. */
  @Benchmark
  public Picker rebuildPicker(RebuildState state) {
    EndpointSet next = state.useSecond ? state.second : state.first;
    state.useSecond = !state.useSecond;
    return state.loadBalancer.update(next);
  }
}
