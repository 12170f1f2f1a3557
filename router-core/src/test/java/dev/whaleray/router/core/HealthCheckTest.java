package dev.whaleray.router.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HealthCheckTest {

  @Test
  void httpByDefaultTcpOnRequest() {
    HealthCheck http = HealthCheck.of("/health");
    assertThat(http.mode()).isEqualTo(HealthCheck.Mode.HTTP);
    assertThat(http.withMode(HealthCheck.Mode.HTTP)).isSameAs(http);
    HealthCheck tcp = HealthCheck.tcp();
    assertThat(tcp.mode()).isEqualTo(HealthCheck.Mode.TCP);
    assertThat(tcp.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(tcp.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(tcp.healthyThreshold()).isEqualTo(2);
    assertThat(tcp.unhealthyThreshold()).isEqualTo(3);
    // Every copy keeps the mode.
    HealthCheck tuned =
        tcp.withInterval(Duration.ofSeconds(1))
            .withTimeout(Duration.ofMillis(300))
            .withThresholds(1, 2)
            .withNewEndpointsWaitingForACheck(true);
    assertThat(tuned.mode()).isEqualTo(HealthCheck.Mode.TCP);
    assertThat(tuned.toString()).startsWith("HealthCheck{TCP connect every PT1S");
    assertThat(http.withMode(HealthCheck.Mode.TCP).mode()).isEqualTo(HealthCheck.Mode.TCP);
    assertThatThrownBy(() -> http.withMode(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("mode");
  }
}
