package dev.whaleray.reference.soak;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ids of requests and WebSocket sessions that a backend still had in flight when the harness
 * stopped it (its drain timed out). A client failure on one of these is expected: the backend went
 * away mid-request, as a task killed by ECS does; any other failure is not.
 */
final class KilledRequests {
  private final Map<String, String> ids = new ConcurrentHashMap<>();

  void add(String id, String backend) {
    ids.put(id, backend);
  }

  boolean contains(String id) {
    return ids.containsKey(id);
  }

  int size() {
    return ids.size();
  }
}
