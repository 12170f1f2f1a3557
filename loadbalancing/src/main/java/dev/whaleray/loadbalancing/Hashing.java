package dev.whaleray.loadbalancing;

import dev.whaleray.router.Endpoint;

/**
 * 64-bit hashing without allocation: FNV-1a over the UTF-16 chars of a string range, finished with
 * MurmurHash3's {@code fmix64} so that every input bit affects every output bit (FNV alone mixes
 * its last chars poorly into the high bits, which pick the Maglev slot). Deterministic across JVMs
 * and runs, unlike identity hashes, so every router instance maps a key to the same endpoint.
 */
final class Hashing {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Hashing() {}

  /** The hash of {@code s.substring(from, to)}, without making the substring. */
  static long hash(String s, int from, int to) {
    long h = FNV_OFFSET;
    for (int i = from; i < to; i++) {
      h ^= s.charAt(i);
      h *= FNV_PRIME;
    }
    return fmix64(h ^ (to - from));
  }

  /**
   * The hash of an endpoint's address (host and port only: a weight, zone or attribute change keeps
   * the endpoint's place in consistent hashing).
   */
  static long endpoint(Endpoint e) {
    long h = FNV_OFFSET;
    String host = e.host();
    for (int i = 0; i < host.length(); i++) {
      h ^= host.charAt(i);
      h *= FNV_PRIME;
    }
    h ^= e.port();
    h *= FNV_PRIME;
    return fmix64(h);
  }

  /** MurmurHash3's 64-bit finalizer: a bijection that avalanches every bit. */
  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
