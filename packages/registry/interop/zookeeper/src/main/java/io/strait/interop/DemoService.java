package io.strait.interop;

/** Exported with version 1.0.0, group g1, weight 200: exercises every parameter the TS parser maps. */
public interface DemoService {
  String sayHello(String name);

  String sayBye(String name);
}
