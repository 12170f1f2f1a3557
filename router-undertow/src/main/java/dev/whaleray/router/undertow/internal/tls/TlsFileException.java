package dev.whaleray.router.undertow.internal.tls;

import java.nio.file.Path;

/** A certificate or key file that cannot be used; the message names the file and why. */
public final class TlsFileException extends Exception {
  private static final long serialVersionUID = 1L;

  TlsFileException(Path file, String why) {
    super(file + ": " + why);
  }
}
