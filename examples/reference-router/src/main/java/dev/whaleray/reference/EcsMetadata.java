package dev.whaleray.reference;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The router's availability zone from the ECS task metadata endpoint (v4): {@code
 * $ECS_CONTAINER_METADATA_URI_V4/task} answers JSON with {@code "AvailabilityZone"}. Read once at
 * start-up, with a short timeout; outside ECS (no variable) or on any failure there is no zone.
 */
final class EcsMetadata {
  private static final System.Logger LOG = System.getLogger(EcsMetadata.class.getName());

  /** Made only on ECS: a Jackson mapper loads hundreds of classes a start-up need not. */
  private static final class Json {
    static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
        new com.fasterxml.jackson.databind.ObjectMapper();
  }

  private EcsMetadata() {}

  /** The zone, or null when not on ECS or the endpoint does not say. */
  static @Nullable String zone(Map<String, String> env, Duration timeout) {
    String base = env.get("ECS_CONTAINER_METADATA_URI_V4");
    if (base == null || base.isBlank()) {
      return null;
    }
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(base.trim() + "/task")).timeout(timeout).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        LOG.log(
            System.Logger.Level.WARNING,
            "ECS task metadata answered " + r.statusCode() + ": no zone-aware routing");
        return null;
      }
      com.fasterxml.jackson.databind.JsonNode zone =
          Json.MAPPER.readTree(r.body()).get("AvailabilityZone");
      return zone != null && zone.isTextual() && !zone.asText().isBlank() ? zone.asText() : null;
    } catch (IOException | IllegalArgumentException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "ECS task metadata unreachable (" + e + "): no zone-aware routing");
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
