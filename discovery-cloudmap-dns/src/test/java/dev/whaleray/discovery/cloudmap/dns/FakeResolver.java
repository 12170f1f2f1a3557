package dev.whaleray.discovery.cloudmap.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * A dnsjava {@link Resolver} that answers from a table the test fills, completing at once (or with
 * an exception), and records every question. For edge cases a real server cannot easily be made to
 * produce (CNAME chains, missing additional records, SERVFAIL on one target).
 */
final class FakeResolver implements Resolver {
  private final Map<String, Supplier<CompletableFuture<Message>>> answers =
      new ConcurrentHashMap<>();
  final List<String> questions = new CopyOnWriteArrayList<>();

  static Name name(String s) {
    return Name.fromConstantString(s.endsWith(".") ? s : s + ".");
  }

  static SRVRecord srv(String owner, long ttl, int priority, int weight, int port, String target) {
    return new SRVRecord(name(owner), DClass.IN, ttl, priority, weight, port, name(target));
  }

  static ARecord a(String owner, long ttl, String ip) {
    try {
      return new ARecord(name(owner), DClass.IN, ttl, InetAddress.getByName(ip));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static CNAMERecord cname(String owner, long ttl, String alias) {
    return new CNAMERecord(name(owner), DClass.IN, ttl, name(alias));
  }

  /** Answers {@code type} questions for {@code owner} with rcode and records. */
  FakeResolver answer(String owner, int type, int rcode, List<Record> answer, List<Record> extra) {
    answers.put(
        key(name(owner), type),
        () -> {
          Message m = new Message();
          m.getHeader().setFlag(Flags.QR);
          m.getHeader().setRcode(rcode);
          m.addRecord(Record.newRecord(name(owner), type, DClass.IN), Section.QUESTION);
          answer.forEach(r -> m.addRecord(r, Section.ANSWER));
          extra.forEach(r -> m.addRecord(r, Section.ADDITIONAL));
          return CompletableFuture.completedFuture(m);
        });
    return this;
  }

  FakeResolver answer(String owner, int type, Record... answer) {
    return answer(owner, type, Rcode.NOERROR, List.of(answer), List.of());
  }

  FakeResolver rcode(String owner, int type, int rcode) {
    return answer(owner, type, rcode, List.of(), List.of());
  }

  FakeResolver fail(String owner, int type, IOException error) {
    answers.put(key(name(owner), type), () -> CompletableFuture.failedFuture(error));
    return this;
  }

  int asked(String owner, int type) {
    String k = key(name(owner), type);
    return (int) questions.stream().filter(k::equals).count();
  }

  private static String key(Name name, int type) {
    return Type.string(type) + " " + name;
  }

  @Override
  public CompletionStage<Message> sendAsync(Message query, Executor executor) {
    Record q = query.getQuestion();
    String k = key(q.getName(), q.getType());
    questions.add(k);
    Supplier<CompletableFuture<Message>> s = answers.get(k);
    if (s == null) {
      Message m = new Message();
      m.getHeader().setFlag(Flags.QR);
      m.getHeader().setRcode(Rcode.NXDOMAIN);
      m.addRecord(q, Section.QUESTION);
      return CompletableFuture.completedFuture(m);
    }
    return s.get();
  }

  @Override
  public CompletionStage<Message> sendAsync(Message query) {
    return sendAsync(query, Runnable::run);
  }

  @Override
  public void setPort(int port) {}

  @Override
  public void setTCP(boolean flag) {}

  @Override
  public void setIgnoreTruncation(boolean flag) {}

  @Override
  public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {}

  @Override
  public void setTSIGKey(TSIG key) {}

  @Override
  public void setTimeout(Duration timeout) {}

  @Override
  public String toString() {
    return "FakeResolver" + new ArrayList<>(answers.keySet());
  }
}
