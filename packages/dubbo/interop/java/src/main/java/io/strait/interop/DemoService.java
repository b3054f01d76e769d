package io.strait.interop;

import java.util.List;
import java.util.Map;

/** The interface both sides of the SDK interop test agree on (test/helpers/demo.ts serves the same methods). */
public interface DemoService {
  String sayHello(String name);

  long add(int a, long b);

  String fail(String message);

  Map<String, Object> echoMap(Map<String, Object> in);

  List<String> echoList(List<String> in);

  String sleep(int ms, String tag);
}
