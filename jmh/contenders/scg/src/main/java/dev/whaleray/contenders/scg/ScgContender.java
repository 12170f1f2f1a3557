package dev.whaleray.contenders.scg;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Spring Cloud Gateway (WebFlux on Reactor Netty) as a proxy-benchmark contender, a choice users
 * would make instead of WhaleRay: one route, configured in {@code application.yml}, sends {@code
 * /services/demo/**} to the backend with the prefix stripped.
 *
 * <p>{@code java -jar scg-contender.jar --server.port=PORT --backend.port=BACKEND_PORT}
 */
@SpringBootApplication
public class ScgContender {
  public static void main(String[] args) {
    SpringApplication.run(ScgContender.class, args);
  }
}
