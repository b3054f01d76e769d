package io.strait.interop;

/** Exported with no version or group: the defaults path of the TS parser. */
public interface GreetingService {
  String greet(String name);
}
