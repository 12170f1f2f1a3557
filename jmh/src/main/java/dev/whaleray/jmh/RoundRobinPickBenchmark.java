package dev.whaleray.jmh;

import dev.whaleray.loadbalancing.LoadBalancers;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.EndpointSet;
import dev.whaleray.router.RequestView;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.lb.Picker;
import dev.whaleray.router.lb.Tried;
import dev.whaleray.router.lb.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * Round-robin from {@link LoadBalancers#roundRobin}: the data-plane {@link Picker#pick} at several
 * set sizes, from one thread and from two threads sharing one picker (and so one atomic counter),
 * and the control-plane {@link LoadBalancer#update} that builds a picker for a new snapshot.
 *
 * <p>Picks return the {@link Upstream} and rebuilds the {@link Picker}, so JMH consumes every
 * result and nothing is eliminated as dead code.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoundRobinPickBenchmark {

  private static final String SERVICE = "svc";

  /** One picker over {@code endpoints} endpoints, shared by every benchmark thread. */
  @State(Scope.Benchmark)
  public static class PickState {
    @Param({"3", "100", "1000", "10000"})
    int endpoints;

    LoadBalancer loadBalancer;
    Picker picker;
    RequestView request;

    @Setup
    public void setUp() {
      loadBalancer = LoadBalancers.roundRobin(LbContext.of(SERVICE));
      picker = loadBalancer.update(EndpointSet.of(SERVICE, 1, endpoints(endpoints, 3000)));
      request = RequestView.of("GET", "example.com", "/services/svc/items/42");
      if (picker.pick(request) == null) {
        throw new IllegalStateException("picker over " + endpoints + " endpoints picked nothing");
      }
    }

    @TearDown
    public void tearDown() {
      loadBalancer.close();
    }
  }

  /**
   * A load balancer and two prebuilt 1,000-endpoint snapshots that {@code rebuildPicker} alternates
   * between, so every {@code update()} sees a changed set. {@code changed=all}: the two sets share
   * no endpoint (other port), so each update creates 1,000 new upstreams; {@code changed=one}: they
   * differ in one endpoint, the usual discovery update, where 999 upstreams are kept.
   */
  @State(Scope.Thread)
  public static class RebuildState {
    static final int SIZE = 1000;

    @Param({"all", "one"})
    String changed;

    LoadBalancer loadBalancer;
    EndpointSet first;
    EndpointSet second;
    boolean useSecond;

    @Setup
    public void setUp() {
      loadBalancer = LoadBalancers.roundRobin(LbContext.of(SERVICE));
      List<Endpoint> a = endpoints(SIZE, 3000);
      List<Endpoint> b;
      if (changed.equals("all")) {
        b = endpoints(SIZE, 4000);
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

  /** {@code endpoints} distinct endpoints {@code 10.x.y.z:port}. */
  static List<Endpoint> endpoints(int count, int port) {
    List<Endpoint> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String host = "10." + ((i >>> 16) & 0xff) + "." + ((i >>> 8) & 0xff) + "." + (i & 0xff);
      list.add(Endpoint.of(host, port));
    }
    return list;
  }

  /** One pick from one thread. */
  @Benchmark
  public PickResult pick(PickState state) {
    return state.picker.pick(state.request, Tried.NONE);
  }

  /** One pick from each of two threads racing on the same picker's counter. */
  @Benchmark
  @Threads(2)
  public PickResult pickTwoThreads(PickState state) {
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
