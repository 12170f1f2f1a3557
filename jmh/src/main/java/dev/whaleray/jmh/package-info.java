/**
 * JMH microbenchmarks of the request path: route matching ({@link
 * dev.whaleray.jmh.RouteMatchBenchmark}) and load-balancer picks and picker rebuilds ({@link
 * dev.whaleray.jmh.RoundRobinPickBenchmark}, and every policy in {@link
 * dev.whaleray.jmh.PolicyPickBenchmark}). They are packaged into {@code jmh/target/benchmarks.jar}
 * and run by hand, never by the build; run them with {@code -prof gc} to see the allocation per
 * operation that the style guide's hot-path rules ask for. Results are recorded in {@code
 * jmh/RESULTS.md}.
 */
package dev.whaleray.jmh;
