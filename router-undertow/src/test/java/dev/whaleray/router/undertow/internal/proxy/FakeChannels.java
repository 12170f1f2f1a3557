package dev.whaleray.router.undertow.internal.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * XNIO channels without a socket, for the pumps' unit tests: a source that answers reads from a
 * script, a sink that takes up to a number of bytes per write; both record the calls made on them.
 */
final class FakeChannels {
  private FakeChannels() {}

  /** A script step: bytes to hand out, or an end of stream ({@code null}), or an error. */
  static final class Source {
    final ArrayDeque<Object> script = new ArrayDeque<>();
    final List<String> calls = new ArrayList<>();
    final StreamSourceChannel channel;

    Source(Object... steps) {
      for (Object s : steps) {
        script.add(s instanceof String ? ((String) s).getBytes(StandardCharsets.ISO_8859_1) : s);
      }
      channel =
          (StreamSourceChannel)
              Proxy.newProxyInstance(
                  FakeChannels.class.getClassLoader(),
                  new Class<?>[] {StreamSourceChannel.class},
                  (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("read") && args.length == 1 && args[0] instanceof ByteBuffer) {
                      return read((ByteBuffer) args[0]);
                    }
                    calls.add(name);
                    if (name.equals("getReadSetter")) {
                      return new ChannelListener.SimpleSetter<StreamSourceChannel>();
                    }
                    return defaultValue(method.getReturnType());
                  });
    }

    private int read(ByteBuffer b) throws IOException {
      Object step = script.peekFirst();
      if (step == null) {
        return 0; // nothing more yet
      }
      if (step instanceof IOException) {
        script.pollFirst();
        throw (IOException) step;
      }
      if (step == EOF) {
        return -1;
      }
      byte[] bytes = (byte[]) step;
      int n = Math.min(bytes.length, b.remaining());
      b.put(bytes, 0, n);
      script.pollFirst();
      if (n < bytes.length) {
        byte[] rest = new byte[bytes.length - n];
        System.arraycopy(bytes, n, rest, 0, rest.length);
        script.addFirst(rest);
      }
      return n;
    }
  }

  /** The end of the stream in a source's script. */
  static final Object EOF = new Object();

  static final class Sink {
    final ByteArrayOutputStream written = new ByteArrayOutputStream();
    final List<String> calls = new ArrayList<>();
    int maxPerWrite = Integer.MAX_VALUE;
    IOException failure;
    final StreamSinkChannel channel;

    Sink() {
      channel =
          (StreamSinkChannel)
              Proxy.newProxyInstance(
                  FakeChannels.class.getClassLoader(),
                  new Class<?>[] {StreamSinkChannel.class},
                  (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("write") && args.length == 1 && args[0] instanceof ByteBuffer) {
                      return write((ByteBuffer) args[0]);
                    }
                    calls.add(name);
                    if (name.equals("getWriteSetter")) {
                      return new ChannelListener.SimpleSetter<StreamSinkChannel>();
                    }
                    if (name.equals("flush")) {
                      return true;
                    }
                    return defaultValue(method.getReturnType());
                  });
    }

    private int write(ByteBuffer b) throws IOException {
      if (failure != null) {
        throw failure;
      }
      int n = Math.min(b.remaining(), maxPerWrite);
      byte[] bytes = new byte[n];
      b.get(bytes);
      written.write(bytes, 0, n);
      return n;
    }

    String text() {
      return written.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static Object defaultValue(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class) {
      return 0;
    }
    if (type == long.class) {
      return 0L;
    }
    return null;
  }
}
