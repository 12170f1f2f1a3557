package dev.whaleray.router.undertow.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/**
 * The ordered ready-key set on real selectors and loopback sockets (the build opens {@code
 * sun.nio.ch} to the tests, as the reference router's jar does).
 */
class ReadyKeysTest {

  @Test
  void keysComeInTheOrderTheirConnectionsBecameReady() throws Exception {
    int n = 8;
    try (Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open()) {
      assertThat(ReadyKeys.install(selector)).isTrue();
      assertThat(selector.selectedKeys()).isInstanceOf(ReadyKeys.class);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      List<SocketChannel> clients = new ArrayList<>();
      List<SelectionKey> keys = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          SocketChannel client = SocketChannel.open(server.getLocalAddress());
          clients.add(client);
          SocketChannel accepted = server.accept();
          accepted.configureBlocking(false);
          keys.add(accepted.register(selector, SelectionKey.OP_READ, i));
        }
        // Registration reaches epoll at the next select: done here, before anything is ready, or
        // keys registered together with their data would come in registration order.
        assertThat(selector.selectNow()).isZero();
        Random random = new Random(42);
        ByteBuffer sink = ByteBuffer.allocate(16);
        for (int trial = 0; trial < 20; trial++) {
          List<Integer> order = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            order.add(i);
          }
          Collections.shuffle(order, random);
          for (int i : order) {
            clients.get(i).write(ByteBuffer.wrap(new byte[] {(byte) i}));
          }
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
          while (selector.selectedKeys().size() < n && System.nanoTime() < deadline) {
            selector.select(100);
          }
          List<Object> seen = new ArrayList<>();
          for (SelectionKey key : selector.selectedKeys()) {
            seen.add(key.attachment());
          }
          assertThat(seen).as("trial %d", trial).isEqualTo(new ArrayList<Object>(order));
          for (SelectionKey key : keys) {
            sink.clear();
            assertThat(((SocketChannel) key.channel()).read(sink)).isEqualTo(1);
          }
          selector.selectedKeys().clear();
          // Level-triggered epoll keeps a reported socket on its ready list until the next wait
          // finds it drained: this wait takes them off, so the next trial's order is its own.
          assertThat(selector.selectNow()).isZero();
        }
      } finally {
        for (SocketChannel c : clients) {
          c.close();
        }
        for (SelectionKey key : keys) {
          key.channel().close();
        }
      }
    }
  }

  @Test
  void aCancelledKeyLeavesTheSetInOrder() throws Exception {
    SelectionKey[] k = new SelectionKey[70]; // past the first array's 64
    try (Selector selector = Selector.open()) {
      assertThat(ReadyKeys.install(selector)).isTrue();
      ReadyKeys set = (ReadyKeys) selector.selectedKeys();
      for (int i = 0; i < k.length; i++) {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        k[i] = ch.register(selector, 0);
        assertThat(set.add(k[i])).isTrue();
      }
      assertThat(set.add(k[5])).isFalse(); // once only
      assertThat(set).hasSize(70);
      assertThat(set.contains(k[69])).isTrue();
      assertThat(set.remove(k[1])).isTrue();
      assertThat(set.remove(k[1])).isFalse();
      assertThat(set.contains(k[1])).isFalse();
      assertThat(set.contains(k[2])).isTrue();
      SelectionKey[] out = set.toArray(new SelectionKey[80]);
      assertThat(out[0]).isSameAs(k[0]);
      assertThat(out[1]).isSameAs(k[2]);
      assertThat(out[68]).isSameAs(k[69]);
      assertThat(out[69]).isNull(); // the end, as Collection.toArray(T[]) marks it
      assertThat(set.toArray(new SelectionKey[0])).hasSize(69);
      Iterator<SelectionKey> it = set.iterator();
      assertThat(it.next()).isSameAs(k[0]);
      it.remove();
      assertThat(it.next()).isSameAs(k[2]);
      assertThat(set).hasSize(68);
      assertThat(set.contains(k[0])).isFalse();
      set.clear();
      assertThat(set).isEmpty();
      assertThat(set.contains(k[2])).isFalse();
      assertThat(set.add(k[2])).isTrue();
    } finally {
      for (SelectionKey key : k) {
        if (key != null) {
          key.channel().close();
        }
      }
    }
  }

  /**
   * XNIO also selects without emptying the set (when it cancels a key): a key still ready is then
   * reported again, and must stay in the set once, with what it is ready for merged.
   */
  @Test
  void aKeyReportedByTwoSelectsIsThereOnce() throws Exception {
    try (Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open()) {
      assertThat(ReadyKeys.install(selector)).isTrue();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
          SocketChannel accepted = server.accept()) {
        accepted.configureBlocking(false);
        SelectionKey key = accepted.register(selector, SelectionKey.OP_READ);
        client.write(ByteBuffer.wrap(new byte[] {1}));
        assertThat(selector.select(5_000)).isEqualTo(1);
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        selector.selectNow(); // still readable, now writable too: the same key, not a second one
        assertThat(selector.selectedKeys()).containsExactly(key);
        assertThat(key.readyOps()).isEqualTo(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
      }
    }
  }

  @Test
  void aSelectorWithKeysLeftIsNotChanged() throws Exception {
    try (Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
      try (SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
        assertThat(client.isConnected()).isTrue();
        assertThat(selector.select(5_000)).isEqualTo(1);
        Set<SelectionKey> before = selector.selectedKeys();
        assertThat(ReadyKeys.install(selector)).isFalse();
        assertThat(selector.selectedKeys()).isSameAs(before);
      }
    }
  }

  @Test
  void byDefaultEveryIoThreadOfAWorkerSelectsIntoTheOrderedSet() throws Exception {
    XnioWorker worker =
        Xnio.getInstance()
            .createWorker(OptionMap.builder().set(Options.WORKER_IO_THREADS, 2).getMap());
    try {
      ReadyKeys.installIn(worker, null); // the property not set
      assertThat(selectedKeysClasses(worker)).containsOnly(ReadyKeys.class);
    } finally {
      worker.shutdownNow();
    }
  }

  @Test
  void withThePropertyFalseTheJdksSetStays() throws Exception {
    XnioWorker worker =
        Xnio.getInstance()
            .createWorker(OptionMap.builder().set(Options.WORKER_IO_THREADS, 1).getMap());
    try {
      ReadyKeys.installIn(worker, "FALSE");
      assertThat(selectedKeysClasses(worker)).doesNotContain(ReadyKeys.class);
    } finally {
      worker.shutdownNow();
    }
  }

  /** The class of each IO thread's selected-key set, read on that thread after queued tasks. */
  private static List<Class<?>> selectedKeysClasses(XnioWorker worker) throws Exception {
    List<Class<?>> classes = new ArrayList<>();
    for (int i = 0; i < worker.getIoThreadCount(); i++) {
      XnioIoThread thread = worker.getIoThread(i);
      Method getSelector = thread.getClass().getDeclaredMethod("getSelector");
      getSelector.setAccessible(true);
      CompletableFuture<Class<?>> c = new CompletableFuture<>();
      thread.execute(
          () -> {
            try {
              Selector s = (Selector) getSelector.invoke(thread);
              c.complete(s.selectedKeys().getClass());
            } catch (Exception e) {
              c.completeExceptionally(e);
            }
          });
      classes.add(c.get(5, TimeUnit.SECONDS));
    }
    return Arrays.asList(classes.toArray(new Class<?>[0]));
  }
}
