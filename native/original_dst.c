// SO_ORIGINAL_DST for Node: the address a connection was sent to before an
// iptables REDIRECT rewrote it (netfilter keeps it in conntrack; the kernel
// returns it through getsockopt, which Node does not expose). IPv4 and IPv6.
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4.h>

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static napi_value fail(napi_env env, int err) {
  napi_value msg, code, error;
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, err == ENOENT ? "ENOENT" : "EORIGDST", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_value errnoValue;
  napi_create_int32(env, err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_throw(env, error);
  return NULL;
}

// originalDst(fd, ipv6) -> { address, port }; throws ENOENT when the connection
// was not redirected (no conntrack NAT entry).
static napi_value OriginalDst(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  bool ipv6 = false;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "originalDst(fd, ipv6): fd must be a non-negative integer");
    return NULL;
  }
  if (argc > 1) napi_get_value_bool(env, argv[1], &ipv6);

  char text[INET6_ADDRSTRLEN];
  int port;
  if (ipv6) {
    struct sockaddr_in6 addr;
    socklen_t len = sizeof(addr);
    if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &addr, &len) != 0) return fail(env, errno);
    inet_ntop(AF_INET6, &addr.sin6_addr, text, sizeof(text));
    port = ntohs(addr.sin6_port);
  } else {
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &addr, &len) != 0) return fail(env, errno);
    inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text));
    port = ntohs(addr.sin_port);
  }
  napi_value result, address, portValue;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_int32(env, port, &portValue);
  napi_set_named_property(env, result, "address", address);
  napi_set_named_property(env, result, "port", portValue);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, OriginalDst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}
