/*
 * original_dst.node: reads the pre-NAT destination of a connection that an iptables REDIRECT
 * (or DNAT) rule sent to this process. Node exposes no getsockopt, so this is the one native piece
 * of Strait. It is plain Node-API (no V8/libuv headers), so one build loads in every Node >= 18.
 *
 * JS surface: originalDst(fd: number) -> {address, port, family} | number
 *   On success an object; on failure the errno (a positive integer). Returning the errno instead of
 *   throwing keeps the common "not redirected" case (ENOENT) cheap on a hot accept path; the
 *   TypeScript wrapper turns it into a typed error or `undefined`.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>. Defined here because
 * including those kernel headers next to glibc's <netinet/in.h> redefines structs on some distros. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

#define CHECK(env, call)                                                     \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error((env), "NETFILTER_ERR_NATIVE", "Node-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

static napi_value make_errno(napi_env env, int err) {
  napi_value out;
  CHECK(env, napi_create_int32(env, err, &out));
  return out;
}

static napi_value make_result(napi_env env, const char *address, uint16_t port, int family) {
  napi_value obj, v_addr, v_port, v_family;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &v_addr));
  CHECK(env, napi_create_uint32(env, port, &v_port));
  CHECK(env, napi_create_uint32(env, (uint32_t)family, &v_family));
  CHECK(env, napi_set_named_property(env, obj, "address", v_addr));
  CHECK(env, napi_set_named_property(env, obj, "port", v_port));
  CHECK(env, napi_set_named_property(env, obj, "family", v_family));
  return obj;
}

static napi_value ipv4_original_dst(napi_env env, int fd) {
  struct sockaddr_in dst;
  socklen_t len = sizeof(dst);
  memset(&dst, 0, sizeof(dst));
  if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0) return make_errno(env, errno);
  char text[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, &dst.sin_addr, text, sizeof(text)) == NULL) return make_errno(env, errno);
  return make_result(env, text, ntohs(dst.sin_port), 4);
}

static napi_value ipv6_original_dst(napi_env env, int fd) {
  struct sockaddr_in6 dst;
  socklen_t len = sizeof(dst);
  memset(&dst, 0, sizeof(dst));
  if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len) != 0) return make_errno(env, errno);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof(text)) == NULL) return make_errno(env, errno);
  return make_result(env, text, ntohs(dst.sin6_port), 6);
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "NETFILTER_ERR_INVALID_FD", "originalDst expects a file descriptor >= 0");
    return NULL;
  }

  /* The family of the socket's own address decides which table holds the NAT entry. A dual-stack
   * listener ("::") accepts IPv4 peers as v4-mapped IPv6 sockets; their conntrack entry is IPv4,
   * so they are asked through SOL_IP like a plain IPv4 socket. */
  struct sockaddr_storage local;
  socklen_t local_len = sizeof(local);
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) return make_errno(env, errno);
  if (local.ss_family == AF_INET) return ipv4_original_dst(env, fd);
  if (local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&local;
    if (IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr)) return ipv4_original_dst(env, fd);
    return ipv6_original_dst(env, fd);
  }
  return make_errno(env, EAFNOSUPPORT);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(env, napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, original_dst, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "originalDst", fn));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
