package dev.whaleray.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.whaleray.router.Endpoint;
import dev.whaleray.router.discovery.Registration;
import dev.whaleray.router.discovery.Registry;
import dev.whaleray.router.settings.Durations;
import dev.whaleray.router.undertow.RouterHandler;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.jspecify.annotations.Nullable;

/**
 * The admin API under {@code /admin} on the admin port: {@code GET /admin/services} lists services
 * and endpoints with their live state; {@code PUT} and {@code DELETE
 * /admin/services/{service}/endpoints/{host}:{port}} register (or renew) and remove an endpoint in
 * the {@link Registry}. Writes need {@code Authorization: Bearer <token>}, compared in constant
 * time; without a configured token they answer 403. Runs on the admin server's worker threads (a
 * Cloud Map registry blocks); thread-safe.
 */
final class AdminApi implements HttpHandler {
  private static final System.Logger LOG = System.getLogger(AdminApi.class.getName());
  private static final String SERVICES = "/services";
  private static final String ENDPOINTS = "/endpoints/";

  private final RouterHandler router;
  private final Registry registry;
  private final byte @Nullable [] token;
  private final ObjectMapper json = new ObjectMapper();
  private final ServiceListing listing;
  private final AdminInput input;

  AdminApi(RouterHandler router, Registry registry, @Nullable String token, String discoveryName) {
    this.router = router;
    this.registry = registry;
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    this.listing = new ServiceListing(json, discoveryName);
    this.input = new AdminInput(json);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String path = exchange.getRelativePath();
    if (path.equals(SERVICES) || path.equals(SERVICES + "/")) {
      if (!exchange.getRequestMethod().equals(Methods.GET)) {
        exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
        AdminServer.error(exchange, 405, "method not allowed (expected: GET)");
        return;
      }
      send(exchange, 200, listing.list(router.clusters(), registry));
      return;
    }
    int at = path.indexOf(ENDPOINTS);
    if (!path.startsWith(SERVICES + "/") || at < 0) {
      AdminServer.error(exchange, 404, "not found: " + exchange.getRequestPath());
      return;
    }
    boolean put = exchange.getRequestMethod().equals(Methods.PUT);
    if (!put && !exchange.getRequestMethod().equals(Methods.DELETE)) {
      exchange.getResponseHeaders().put(Headers.ALLOW, "PUT, DELETE");
      AdminServer.error(exchange, 405, "method not allowed (expected: PUT or DELETE)");
      return;
    }
    if (!authorized(exchange)) {
      return;
    }
    AdminInput.Target target;
    try {
      target =
          input.target(
              path.substring(SERVICES.length() + 1, at), path.substring(at + ENDPOINTS.length()));
    } catch (AdminInput.BadInput e) {
      badInput(exchange, e);
      return;
    }
    if (put) {
      register(exchange, target);
    } else {
      deregister(exchange, target);
    }
  }

  /** Answers 403 or 401 and returns false unless the request carries the token. */
  private boolean authorized(HttpServerExchange exchange) {
    byte[] expected = token;
    if (expected == null) {
      AdminServer.error(
          exchange, 403, "admin writes are off: no token configured (WHALERAY_ADMIN_TOKEN)");
      return false;
    }
    String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
    byte[] given =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8)
            : new byte[0];
    // MessageDigest.isEqual takes the same time whatever bytes differ (it leaks the length only).
    if (!MessageDigest.isEqual(expected, given)) {
      exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
      AdminServer.error(
          exchange,
          401,
          header == null
              ? "missing Authorization: Bearer <token>"
              : "wrong token in Authorization");
      return false;
    }
    return true;
  }

  private void register(HttpServerExchange exchange, AdminInput.Target target) throws IOException {
    AdminInput.Body body;
    try {
      body = input.body(readBody(exchange));
    } catch (AdminInput.BadInput e) {
      badInput(exchange, e);
      return;
    }
    Endpoint endpoint =
        target.endpoint().toBuilder()
            .weight(body.weight())
            .zone(body.zone())
            .ports(body.ports())
            .build();
    Registration r;
    try {
      r = registry.register(target.service(), endpoint, body.ttl());
    } catch (IllegalArgumentException e) {
      badInput(exchange, AdminInput.BadInput.of(e.getMessage()));
      return;
    } catch (RuntimeException e) {
      storeFailed(exchange, "registering " + target, e);
      return;
    }
    ObjectNode answer = json.createObjectNode();
    answer.put("service", r.service());
    answer.put("address", r.endpoint().authority());
    answer.put("weight", r.endpoint().weight());
    if (r.endpoint().zone() == null) {
      answer.putNull("zone");
    } else {
      answer.put("zone", r.endpoint().zone());
    }
    if (!r.endpoint().ports().isEmpty()) {
      ObjectNode ports = answer.putObject("ports");
      r.endpoint().ports().forEach(ports::put);
    }
    answer.put("ttl", Durations.format(r.ttl()));
    answer.put("expiresAt", r.expiresAt().toString());
    send(exchange, 200, answer);
  }

  private void deregister(HttpServerExchange exchange, AdminInput.Target target) {
    boolean removed;
    try {
      removed = registry.deregister(target.service(), target.endpoint());
    } catch (RuntimeException e) {
      storeFailed(exchange, "deregistering " + target, e);
      return;
    }
    if (!removed) {
      AdminServer.error(exchange, 404, "not registered: " + target);
      return;
    }
    exchange.setStatusCode(204);
    exchange.endExchange();
  }

  private static void storeFailed(HttpServerExchange exchange, String what, RuntimeException e) {
    LOG.log(System.Logger.Level.WARNING, what + " failed: " + e);
    AdminServer.error(exchange, 502, what + " failed: " + e.getClass().getSimpleName());
  }

  private void badInput(HttpServerExchange exchange, AdminInput.BadInput e) {
    ObjectNode answer = json.createObjectNode();
    answer.put("error", e.getMessage());
    answer.put("field", e.field());
    send(exchange, 400, answer);
  }

  private static byte[] readBody(HttpServerExchange exchange) throws IOException {
    if (!exchange.isBlocking()) {
      exchange.startBlocking();
    }
    try (InputStream in = exchange.getInputStream()) {
      byte[] bytes = in.readNBytes(AdminInput.MAX_BODY + 1);
      return bytes;
    }
  }

  private void send(HttpServerExchange exchange, int status, JsonNode body) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    try {
      exchange.getResponseSender().send(json.writeValueAsString(body) + "\n");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      AdminServer.error(exchange, 500, "could not write JSON");
    }
  }
}
