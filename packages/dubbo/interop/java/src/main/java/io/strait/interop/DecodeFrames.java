package io.strait.interop;

import java.io.ByteArrayInputStream;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.dubbo.common.URL;
import org.apache.dubbo.common.serialize.ObjectInput;
import org.apache.dubbo.common.serialize.Serialization;
import org.apache.dubbo.common.utils.ReflectUtils;
import org.apache.dubbo.rpc.model.FrameworkModel;

/**
 * The reverse direction of GenFixtures: reads frames that @strait/dubbo encoded and decodes them with Dubbo's
 * own Hessian2 ObjectInput in the order DubboCodec/DecodeableRpcInvocation/DecodeableRpcResult read them,
 * writing the fields as JSON (same dialect as the fixture: {"$long"}, {"$double"}, {"$exception"}).
 *
 * Input: {"frames":[{"name":"...","hex":"..."}]} (one frame per line, as test/interop.test.ts writes it).
 */
public final class DecodeFrames {
  private static final Pattern FRAME = Pattern.compile("\"name\":\"([^\"]*)\",\"hex\":\"([0-9a-f]*)\"");

  private DecodeFrames() {}

  public static void main(String[] argv) throws Exception {
    String in = new String(Files.readAllBytes(Paths.get(argv[0])), StandardCharsets.UTF_8);
    Serialization hessian2 = FrameworkModel.defaultModel().getExtensionLoader(Serialization.class).getExtension("hessian2");
    URL url = URL.valueOf("dubbo://127.0.0.1:20880/x?serialization=hessian2");
    StringBuilder out = new StringBuilder("{\"decoded\":[\n");
    Matcher m = FRAME.matcher(in);
    boolean first = true;
    while (m.find()) {
      if (!first) {
        out.append(",\n");
      }
      first = false;
      out.append("{\"name\":").append(Json.str(m.group(1))).append(',');
      try {
        decode(hessian2, url, unhex(m.group(2)), out);
      } catch (Exception e) {
        out.append("\"error\":").append(Json.str(e.toString()));
      }
      out.append('}');
    }
    out.append("\n]}\n");
    try (Writer w = new OutputStreamWriter(new FileOutputStream(argv[1]), StandardCharsets.UTF_8)) {
      w.write(out.toString());
    }
  }

  private static void decode(Serialization s, URL url, byte[] f, StringBuilder out) throws Exception {
    if ((f[0] & 0xff) != 0xda || (f[1] & 0xff) != 0xbb) {
      throw new IllegalArgumentException("bad magic");
    }
    int flag = f[2] & 0xff;
    boolean request = (flag & 0x80) != 0;
    boolean twoWay = (flag & 0x40) != 0;
    boolean event = (flag & 0x20) != 0;
    int status = f[3] & 0xff;
    long id = 0;
    for (int i = 4; i < 12; i++) {
      id = (id << 8) | (f[i] & 0xff);
    }
    int len = ((f[12] & 0xff) << 24) | ((f[13] & 0xff) << 16) | ((f[14] & 0xff) << 8) | (f[15] & 0xff);
    if (len != f.length - 16) {
      throw new IllegalArgumentException("length " + len + " != body " + (f.length - 16));
    }
    ObjectInput in = s.deserialize(url, new ByteArrayInputStream(f, 16, len));
    out.append("\"request\":").append(request).append(",\"twoWay\":").append(twoWay)
        .append(",\"event\":").append(event).append(",\"serializationId\":").append(flag & 0x1f)
        .append(",\"id\":").append(Json.str(Long.toString(id)));
    if (event) {
      out.append(",\"eventData\":").append(Json.value(in.readEvent()));
      return;
    }
    if (request) {
      out.append(",\"dubboVersion\":").append(Json.str(in.readUTF()))
          .append(",\"service\":").append(Json.str(in.readUTF()))
          .append(",\"version\":").append(Json.str(in.readUTF()))
          .append(",\"method\":").append(Json.str(in.readUTF()));
      String desc = in.readUTF();
      out.append(",\"parameterTypes\":").append(Json.str(desc)).append(",\"args\":[");
      Class<?>[] types = desc.isEmpty() ? new Class<?>[0] : ReflectUtils.desc2classArray(desc);
      for (int i = 0; i < types.length; i++) {
        out.append(i > 0 ? "," : "").append(Json.value(in.readObject(types[i])));
      }
      out.append("],\"attachments\":").append(Json.value(in.readAttachments()));
      return;
    }
    out.append(",\"status\":").append(status);
    if (status != 20) {
      out.append(",\"errorMessage\":").append(Json.str(in.readUTF()));
      return;
    }
    int type = in.readByte();
    out.append(",\"type\":").append(type);
    if (type == 0 || type == 3) {
      out.append(",\"exception\":").append(Json.value(in.readThrowable()));
    } else if (type == 1 || type == 4) {
      out.append(",\"value\":").append(Json.value(in.readObject()));
    }
    if (type >= 3) {
      out.append(",\"attachments\":").append(Json.value(in.readAttachments()));
    }
  }

  private static byte[] unhex(String h) {
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  /** Java values as the fixture's JSON dialect. */
  static final class Json {
    private Json() {}

    static String value(Object v) {
      if (v == null) {
        return "null";
      }
      if (v instanceof String) {
        return str((String) v);
      }
      if (v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof Boolean) {
        return v.toString();
      }
      if (v instanceof Long) {
        return "{\"$long\":\"" + v + "\"}";
      }
      if (v instanceof Double || v instanceof Float) {
        return "{\"$double\":" + v + "}";
      }
      if (v instanceof Throwable) {
        Throwable t = (Throwable) v;
        return "{\"$exception\":" + str(t.getClass().getName()) + ",\"message\":" + str(t.getMessage()) + "}";
      }
      if (v instanceof Map) {
        StringBuilder s = new StringBuilder("{\"$map\":").append(str(v.getClass().getName())).append(",\"entries\":{");
        boolean f = true;
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
          s.append(f ? "" : ",").append(str(String.valueOf(e.getKey()))).append(':').append(value(e.getValue()));
          f = false;
        }
        return s.append("}}").toString();
      }
      if (v instanceof Collection) {
        List<String> items = new ArrayList<>();
        for (Object o : (Collection<?>) v) {
          items.add(value(o));
        }
        return "[" + String.join(",", items) + "]";
      }
      if (v.getClass().isArray()) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < Array.getLength(v); i++) {
          items.add(value(Array.get(v, i)));
        }
        return "{\"$array\":" + str(v.getClass().getComponentType().getName()) + ",\"items\":[" + String.join(",", items) + "]}";
      }
      return "{\"$other\":" + str(v.getClass().getName()) + ",\"text\":" + str(v.toString()) + "}";
    }

    static String str(String v) {
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
}
