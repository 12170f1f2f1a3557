package dev.whaleray.router.undertow.internal.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * The server side of TLS: an {@link SSLContext} whose key manager picks a certificate by SNI, and a
 * poller that rereads the certificate and key files every interval and serves changed ones to new
 * handshakes. A changed pair that does not parse, or whose key does not fit, is logged and the old
 * pair stays in service.
 */
public final class TlsTermination implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(TlsTermination.class.getName());

  private final List<Path> certFiles;
  private final List<Path> keyFiles;
  private final SniKeyManager keyManager;
  private final SSLContext context;
  private final byte[][] seen; // per pair: the cert and key bytes last looked at
  private final ScheduledExecutorService poller;

  /**
   * Reads every pair (a bad file stops here, named in the exception) and starts watching them.
   *
   * @throws TlsFileException when a file is missing, unreadable or not a usable PEM
   */
  public TlsTermination(List<Path> certFiles, List<Path> keyFiles, Duration reloadInterval)
      throws TlsFileException {
    if (certFiles.isEmpty() || certFiles.size() != keyFiles.size()) {
      throw new IllegalArgumentException("certificates: one key file per certificate file");
    }
    this.certFiles = List.copyOf(certFiles);
    this.keyFiles = List.copyOf(keyFiles);
    this.seen = new byte[certFiles.size()][];
    List<CertifiedKey> keys = new ArrayList<>();
    for (int i = 0; i < certFiles.size(); i++) {
      byte[] cert = read(certFiles.get(i));
      byte[] key = read(keyFiles.get(i));
      keys.add(Pem.pair(certFiles.get(i), cert, keyFiles.get(i), key));
      seen[i] = concat(cert, key);
    }
    this.keyManager = new SniKeyManager(keys);
    try {
      this.context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {keyManager}, null, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM: " + e.getMessage(), e);
    }
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "whaleray-tls-reload");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(1, reloadInterval.toMillis());
    poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
  }

  /** The context for the TLS listener; its key manager follows the files. */
  public SSLContext context() {
    return context;
  }

  /** The DNS names of each certificate served now, in configuration order (for logs). */
  public List<List<String>> names() {
    List<List<String>> names = new ArrayList<>();
    for (CertifiedKey k : keyManager.keys()) {
      names.add(k.names());
    }
    return names;
  }

  /** Rereads the files now; what the poller does every interval (on its thread only). */
  void poll() {
    try {
      List<CertifiedKey> now = keyManager.keys();
      List<CertifiedKey> next = new ArrayList<>(now);
      boolean changed = false;
      for (int i = 0; i < certFiles.size(); i++) {
        Path certFile = certFiles.get(i);
        Path keyFile = keyFiles.get(i);
        byte[] cert;
        byte[] key;
        try {
          cert = read(certFile);
          key = read(keyFile);
        } catch (TlsFileException e) {
          byte[] marker = new byte[0];
          if (seen[i].length != 0) {
            LOG.log(
                System.Logger.Level.WARNING,
                "TLS certificate not reloaded, the old one stays in service: " + e.getMessage());
          }
          seen[i] = marker;
          continue;
        }
        byte[] both = concat(cert, key);
        if (Arrays.equals(both, seen[i])) {
          continue;
        }
        seen[i] = both;
        try {
          CertifiedKey loaded = Pem.pair(certFile, cert, keyFile, key);
          next.set(i, loaded);
          changed = true;
          LOG.log(
              System.Logger.Level.INFO,
              "TLS certificate reloaded from " + certFile + " for " + loaded.names());
        } catch (TlsFileException e) {
          // A cert written before its key shows up here once; the next poll sees both.
          LOG.log(
              System.Logger.Level.WARNING,
              "TLS certificate not reloaded, the old one stays in service: " + e.getMessage());
        }
      }
      if (changed) {
        keyManager.update(next);
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "TLS certificate reload failed: " + e, e);
    }
  }

  private static byte[] read(Path file) throws TlsFileException {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TlsFileException(file, "cannot read: " + e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length + 1);
    System.arraycopy(b, 0, both, a.length + 1, b.length);
    return both;
  }

  /** Stops watching the files. */
  @Override
  public void close() {
    poller.shutdownNow();
  }
}
