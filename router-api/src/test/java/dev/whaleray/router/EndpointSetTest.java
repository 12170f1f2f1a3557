package dev.whaleray.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointSetTest {
  private static final Endpoint A = Endpoint.of("10.0.0.1", 8080);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 8080);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 8080);

  @Test
  void endpointsAreSortedAndDeduplicated() {
    EndpointSet set =
        EndpointSet.of("svc", 7, List.of(C, A, B, A, Endpoint.parse("10.0.0.3:8080")));

    assertThat(set.endpoints()).containsExactly(A, B, C);
    assertThat(set.size()).isEqualTo(3);
    assertThat(set.service()).isEqualTo("svc");
    assertThat(set.revision()).isEqualTo(7);
    assertThat(set.isKnown()).isTrue();
    assertThat(set.isEmpty()).isFalse();
  }

  @Test
  void endpointsThatDifferOnlyInWeightAreBothKept() {
    EndpointSet set = EndpointSet.of("svc", 1, List.of(A.withWeight(3), A));

    assertThat(set.endpoints()).containsExactly(A, A.withWeight(3));
  }

  @Test
  void snapshotIsACopy() {
    List<Endpoint> source = new ArrayList<>(List.of(A));
    EndpointSet set = EndpointSet.of("svc", 1, source);
    source.add(B);

    assertThat(set.endpoints()).containsExactly(A);
    assertThatThrownBy(() -> set.endpoints().add(B))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void unknownIsNotEmptyKnown() {
    EndpointSet unknown = EndpointSet.unknown("svc", 1);
    EndpointSet empty = EndpointSet.of("svc", 1, List.of());

    assertThat(unknown.isKnown()).isFalse();
    assertThat(unknown.isEmpty()).isTrue();
    assertThat(unknown.endpoints()).isEmpty();
    assertThat(empty.isKnown()).isTrue();
    assertThat(empty.isEmpty()).isTrue();
    assertThat(unknown).isNotEqualTo(empty);
    assertThat(unknown.sameContent(empty)).isFalse();
    assertThat(empty.sameContent(unknown)).isFalse();
    assertThat(unknown).hasToString("EndpointSet{svc r1 unknown}");
    assertThat(empty).hasToString("EndpointSet{svc r1 []}");
  }

  @Test
  void sameContentIgnoresRevisionAndOrder() {
    EndpointSet first = EndpointSet.of("svc", 1, List.of(A, B));
    EndpointSet second = EndpointSet.of("svc", 2, List.of(B, A, B));

    assertThat(first.sameContent(second)).isTrue();
    assertThat(first).isNotEqualTo(second);
    assertThat(first).isEqualTo(second.withRevision(1)).hasSameHashCodeAs(second.withRevision(1));
    assertThat(EndpointSet.unknown("svc", 1).sameContent(EndpointSet.unknown("svc", 9))).isTrue();
  }

  @Test
  void sameContentSeesEveryDifference() {
    EndpointSet base = EndpointSet.of("svc", 1, List.of(A, B));

    assertThat(base.sameContent(EndpointSet.of("svc", 1, List.of(A)))).isFalse();
    assertThat(base.sameContent(EndpointSet.of("svc", 1, List.of(A, C)))).isFalse();
    assertThat(base.sameContent(EndpointSet.of("other", 1, List.of(A, B)))).isFalse();
    assertThat(base.sameContent(EndpointSet.of("svc", 1, List.of(A, B.withWeight(2))))).isFalse();
    assertThat(base.sameContent(EndpointSet.of("svc", 1, List.of(A, B.withZone("z"))))).isFalse();
  }

  @Test
  void withRevisionReturnsThisWhenUnchanged() {
    EndpointSet set = EndpointSet.of("svc", 4, List.of(A));

    assertThat(set.withRevision(4)).isSameAs(set);
    EndpointSet next = set.withRevision(5);
    assertThat(next.revision()).isEqualTo(5);
    assertThat(next.endpoints()).isSameAs(set.endpoints());
    assertThat(set.revision()).isEqualTo(4);
  }

  @Test
  void nullsAreRejectedByName() {
    assertThatThrownBy(() -> EndpointSet.of(null, 1, List.of())).hasMessage("service");
    assertThatThrownBy(() -> EndpointSet.of("s", 1, null)).hasMessage("endpoints");
    assertThatThrownBy(() -> EndpointSet.unknown(null, 1)).hasMessage("service");
  }
}
