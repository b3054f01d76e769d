package io.strait.interop;

import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.dubbo.common.URL;
import org.apache.dubbo.common.constants.CommonConstants;
import org.apache.dubbo.common.utils.ReflectUtils;
import org.apache.dubbo.remoting.Channel;
import org.apache.dubbo.remoting.buffer.ChannelBuffer;
import org.apache.dubbo.remoting.buffer.ChannelBuffers;
import org.apache.dubbo.remoting.exchange.Request;
import org.apache.dubbo.remoting.exchange.Response;
import org.apache.dubbo.rpc.AppResponse;
import org.apache.dubbo.rpc.RpcInvocation;
import org.apache.dubbo.rpc.model.FrameworkModel;
import org.apache.dubbo.rpc.protocol.dubbo.DubboCodec;

/**
 * Encodes a fixed set of Dubbo2 frames with Apache Dubbo's own codec (DubboCodec over ExchangeCodec, Hessian2)
 * and writes them, with the fields that went in, as JSON. test/interop.test.ts decodes these real bytes with
 * @strait/dubbo and re-encodes them, expecting the same bytes back.
 *
 * Expected values use a tiny JSON dialect so the TypeScript side can tell Java types apart:
 * {"$long": "123"} for long, {"$double": 1.5} for double, plain numbers for int.
 */
public final class GenFixtures {
  private static final String SERVICE = "org.apache.dubbo.demo.DemoService";

  private final DubboCodec codec = new DubboCodec(FrameworkModel.defaultModel());
  private final Channel channel;
  private final StringBuilder out = new StringBuilder();
  private boolean first = true;

  private GenFixtures() {
    URL url = URL.valueOf("dubbo://127.0.0.1:20880/" + SERVICE + "?serialization=hessian2&payload=8388608");
    channel = (Channel) Proxy.newProxyInstance(
        GenFixtures.class.getClassLoader(),
        new Class<?>[] {Channel.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "getUrl":
              return url;
            case "hasAttribute":
            case "isConnected":
            case "isClosed":
              return method.getName().equals("isConnected");
            case "hashCode":
              return 1;
            case "equals":
              return proxy == args[0];
            case "toString":
              return "fixture-channel";
            default:
              return null;
          }
        });
  }

  public static void main(String[] argv) throws Exception {
    GenFixtures g = new GenFixtures();
    g.out.append("{\n  \"generator\": \"apache-dubbo-java ")
        .append(org.apache.dubbo.common.Version.getVersion())
        .append("\",\n  \"frames\": [\n");
    g.all();
    g.out.append("\n  ]\n}\n");
    try (Writer w = new OutputStreamWriter(new FileOutputStream(argv[0]), StandardCharsets.UTF_8)) {
      w.write(g.out.toString());
    }
  }

  private void all() throws Exception {
    Map<String, Object> att = new LinkedHashMap<>();
    att.put("path", SERVICE);
    att.put("interface", SERVICE);
    att.put("version", "1.0.0");
    att.put("group", "gray");
    att.put("timeout", "3000");
    att.put("traceid", "a1b2c3");
    request("request-one-string", 1L, "2.0.2", "sayHello", new Class<?>[] {String.class},
        new Object[] {"world"}, att, "[\"world\"]");

    List<String> tags = new ArrayList<>(Arrays.asList("a", "bb", "ccc"));
    Map<String, Integer> weights = new LinkedHashMap<>();
    weights.put("x", 1);
    weights.put("y", -200000);
    request("request-mixed-args", 0x0102030405060708L, "2.0.2", "mixed",
        new Class<?>[] {String.class, int.class, long.class, boolean.class, double.class, List.class, Map.class},
        new Object[] {"s", 42, 1234567890123L, true, 1.5, tags, weights}, att,
        "[\"s\",42,{\"$long\":\"1234567890123\"},true,{\"$double\":1.5},[\"a\",\"bb\",\"ccc\"],{\"x\":1,\"y\":-200000}]");

    Map<String, Object> bare = new LinkedHashMap<>();
    bare.put("path", "com.example.NoVersion");
    request("request-no-version-no-args", 7L, "2.0.2", "ping", new Class<?>[0], new Object[0], bare, "[]");

    request("request-unicode", 8L, "2.0.2", "echo", new Class<?>[] {String.class},
        new Object[] {"héllo 世界 \uD83D\uDE80"}, att, "[\"héllo 世界 \\uD83D\\uDE80\"]");

    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 40000; i++) {
      big.append((char) ('a' + (i % 26)));
    }
    request("request-chunked-string", 9L, "2.0.2", "echo", new Class<?>[] {String.class},
        new Object[] {big.toString()}, att, "[{\"$repeatAlphabet\":40000}]");

    request("request-ints-and-longs", 10L, "2.0.2", "nums",
        new Class<?>[] {int.class, int.class, int.class, int.class, long.class, long.class, long.class, long.class},
        new Object[] {0, -16, 2047, -262144, 0L, 255L, -262144L, 1L << 40}, att,
        "[0,-16,2047,-262144,{\"$long\":\"0\"},{\"$long\":\"255\"},{\"$long\":\"-262144\"},{\"$long\":\"1099511627776\"}]");

    response("response-value", 1L, "2.0.2", Response.OK, new AppResponse("hello world"), null, "\"hello world\"");
    response("response-value-no-attachments", 2L, "2.0.0", Response.OK, new AppResponse(123), null, "123");
    response("response-null", 3L, "2.0.2", Response.OK, new AppResponse((Object) null), null, "null");
    AppResponse withAtt = new AppResponse("ok");
    withAtt.setAttachment("server", "provider-1");
    response("response-value-attachments", 4L, "2.0.2", Response.OK, withAtt, null, "\"ok\"");
    RuntimeException ex = new RuntimeException("boom");
    ex.setStackTrace(new StackTraceElement[0]);
    response("response-exception", 5L, "2.0.2", Response.OK, new AppResponse(ex), null,
        "{\"$exception\":\"java.lang.RuntimeException\",\"message\":\"boom\"}");
    response("response-service-not-found", 6L, "2.0.2", Response.SERVICE_NOT_FOUND, null,
        "Not found exported service: com.example.Missing", null);
    response("response-server-timeout", 7L, "2.0.2", Response.SERVER_TIMEOUT, null,
        "Waiting server-side response timeout", null);

    Request hb = new Request(11L);
    hb.setVersion("2.0.2");
    hb.setTwoWay(true);
    hb.setEvent((String) null);
    emit("heartbeat-request", "heartbeat-request", hb, 11L, null);

    Response hbr = new Response(11L, "2.0.2");
    hbr.setEvent((String) null);
    hbr.setStatus(Response.OK);
    emit("heartbeat-response", "heartbeat-response", hbr, 11L, null);

    Request ro = new Request(12L);
    ro.setEvent(CommonConstants.READONLY_EVENT);
    ro.setTwoWay(false);
    ro.setVersion("2.0.2");
    emit("readonly-event", "readonly-event", ro, 12L, null);
  }

  private void request(String name, long id, String dubboVersion, String method, Class<?>[] types, Object[] args,
      Map<String, Object> attachments, String argsJson) throws Exception {
    RpcInvocation inv = new RpcInvocation();
    inv.setMethodName(method);
    inv.setParameterTypes(types);
    inv.setParameterTypesDesc(ReflectUtils.getDesc(types));
    inv.setArguments(args);
    for (Map.Entry<String, Object> e : attachments.entrySet()) {
      inv.setObjectAttachment(e.getKey(), e.getValue());
    }
    Request req = new Request(id);
    req.setVersion(dubboVersion);
    req.setTwoWay(true);
    req.setData(inv);
    StringBuilder exp = new StringBuilder();
    exp.append("\"dubboVersion\":").append(str(dubboVersion))
        .append(",\"service\":").append(str((String) attachments.get("path")))
        .append(",\"version\":").append(str((String) attachments.get("version")))
        .append(",\"method\":").append(str(method))
        .append(",\"parameterTypes\":").append(str(inv.getParameterTypesDesc()))
        .append(",\"args\":").append(argsJson)
        .append(",\"attachments\":").append(mapJson(attachments));
    emit(name, "request", req, id, exp.toString());
  }

  private void response(String name, long id, String version, byte status, AppResponse result, String error,
      String valueJson) throws Exception {
    Response res = new Response(id, version);
    res.setStatus(status);
    if (result != null) {
      res.setResult(result);
    } else {
      res.setErrorMessage(error);
    }
    byte[] bytes = encode(res);
    StringBuilder exp = new StringBuilder();
    exp.append("\"status\":").append(status);
    if (result != null) {
      exp.append(",\"value\":").append(valueJson);
      if (!result.getObjectAttachments().isEmpty()) {
        exp.append(",\"attachments\":").append(mapJson(result.getObjectAttachments()));
      }
    } else {
      exp.append(",\"errorMessage\":").append(str(error));
    }
    write(name, "response", id, bytes, exp.toString());
  }

  private void emit(String name, String kind, Object msg, long id, String expectedFields) throws Exception {
    write(name, kind, id, encode(msg), expectedFields);
  }

  private byte[] encode(Object msg) throws Exception {
    ChannelBuffer buf = ChannelBuffers.dynamicBuffer(1024);
    codec.encode(channel, buf, msg);
    byte[] bytes = new byte[buf.readableBytes()];
    buf.readBytes(bytes);
    return bytes;
  }

  private void write(String name, String kind, long id, byte[] bytes, String expectedFields) {
    if (!first) {
      out.append(",\n");
    }
    first = false;
    out.append("    {\"name\":").append(str(name))
        .append(",\"kind\":").append(str(kind))
        .append(",\"id\":").append(str(Long.toString(id)))
        .append(",\"hex\":").append(str(hex(bytes)));
    if (expectedFields != null) {
      out.append(",\"expect\":{").append(expectedFields).append('}');
    }
    out.append('}');
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder(b.length * 2);
    for (byte x : b) {
      s.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
    }
    return s.toString();
  }

  private static String mapJson(Map<String, Object> m) {
    StringBuilder s = new StringBuilder("{");
    boolean f = true;
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (!f) {
        s.append(',');
      }
      f = false;
      s.append(str(e.getKey())).append(':').append(str(String.valueOf(e.getValue())));
    }
    return s.append('}').toString();
  }

  private static String str(String v) {
    if (v == null) {
      return "null";
    }
    StringBuilder s = new StringBuilder("\"");
    for (char c : v.toCharArray()) {
      if (c == '"' || c == '\\') {
        s.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        s.append(String.format("\\u%04x", (int) c));
      } else {
        s.append(c);
      }
    }
    return s.append('"').toString();
  }
}
