// weft_netns: the few namespace syscalls Node cannot make itself.
//
// Every function here runs synchronously on the calling (JS) thread. setns()
// changes only the calling thread's namespace, so entering a namespace, doing
// one thing there and switching back before returning to JS is safe: no other
// JS runs in between, and libuv's worker threads are never affected.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <node_api.h>

#define NETNS_RUN_DIR "/run/netns"

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error;
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_value errnoValue;
  napi_create_int32(env, err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_throw(env, error);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t len) {
  size_t got = 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &got) != napi_ok) return -1;
  if (got >= len - 1) return -1;
  return 0;
}

static int open_own_netns(void) {
  return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

// Like iproute2: /run/netns is a shared mount so that bind mounts made under
// it propagate to every mount namespace that shares it.
static int prepare_run_dir(void) {
  if (mkdir(NETNS_RUN_DIR, 0755) != 0 && errno != EEXIST) return -1;
  if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
  if (errno != EINVAL) return -1;
  if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) != 0) return -1;
  return mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL);
}

// Pin a network namespace at path (a bind mount of the thread's nsfs file, as
// `ip netns add` does): a new, empty one when `fresh`, else the thread's own.
static napi_value pin_netns(napi_env env, napi_callback_info info, int fresh, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  if (argc < 1 || get_string(env, argv[0], path, sizeof path) != 0) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (prepare_run_dir() != 0) return throw_errno(env, "prepare " NETNS_RUN_DIR, errno);
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return throw_errno(env, path, errno);
  close(fd);
  int own = -1;
  if (fresh && (own = open_own_netns()) < 0) {
    int err = errno;
    unlink(path);
    return throw_errno(env, "open own netns", err);
  }
  int err = 0, unshared = 0;
  const char *step = NULL;
  if (fresh) {
    if (unshare(CLONE_NEWNET) == 0) unshared = 1;
    else {
      err = errno;
      step = "unshare(CLONE_NEWNET)";
    }
  }
  if (!err && mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) != 0) {
    err = errno;
    step = "bind mount netns";
  }
  if (unshared && setns(own, CLONE_NEWNET) != 0) {
    // The thread could not get back: nothing it does next would be safe.
    perror("weft_netns: setns back to own namespace failed");
    abort();
  }
  if (own >= 0) close(own);
  if (err) {
    unlink(path);
    return throw_errno(env, step, err);
  }
  return NULL;
}

// createNetns(path): a new, empty network namespace pinned at path.
static napi_value create_netns(napi_env env, napi_callback_info info) {
  return pin_netns(env, info, 1, "createNetns(path: string)");
}

// pinOwnNetns(path): the calling thread's own namespace pinned at path, so a
// sandbox on the host network is reachable by name like any other.
static napi_value pin_own_netns(napi_env env, napi_callback_info info) {
  return pin_netns(env, info, 0, "pinOwnNetns(path: string)");
}

// deleteNetns(path): unpin a namespace; the kernel frees it when unused.
static napi_value delete_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  if (argc < 1 || get_string(env, argv[0], path, sizeof path) != 0) {
    napi_throw_type_error(env, NULL, "deleteNetns(path: string)");
    return NULL;
  }
  if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return throw_errno(env, path, errno);
  if (unlink(path) != 0 && errno != ENOENT) return throw_errno(env, path, errno);
  return NULL;
}

// inNetns(nsFd, fn): call fn() with this thread inside the namespace, then
// switch back, whether fn returned or threw.
static napi_value in_netns(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], thisArg;
  napi_get_cb_info(env, info, &argc, argv, &thisArg, NULL);
  int32_t target;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &target) != napi_ok) {
    napi_throw_type_error(env, NULL, "inNetns(nsFd: number, fn: () => T)");
    return NULL;
  }
  int own = open_own_netns();
  if (own < 0) return throw_errno(env, "open own netns", errno);
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(own);
    return throw_errno(env, "setns", err);
  }
  napi_value result = NULL;
  napi_call_function(env, thisArg, argv[1], 0, NULL, &result);
  if (setns(own, CLONE_NEWNET) != 0) {
    perror("weft_netns: setns back to own namespace failed");
    abort();
  }
  close(own);
  return result;  // a pending exception from fn propagates to the caller
}

// openSocketIn(nsFd, family, type, address, port, reusePort?): a socket created
// and bound inside the namespace; returns its fd (for dgram bind({fd}) / net
// listen({fd})). With reusePort, SO_REUSEPORT is set before bind, so several
// sockets (one per thread) can share the address and the kernel spreads
// datagrams over them.
static napi_value open_socket_in(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t target, family, type, port;
  bool reuse_port = false;
  char address[64];
  if (argc < 5 || napi_get_value_int32(env, argv[0], &target) != napi_ok ||
      napi_get_value_int32(env, argv[1], &family) != napi_ok ||
      napi_get_value_int32(env, argv[2], &type) != napi_ok ||
      get_string(env, argv[3], address, sizeof address) != 0 ||
      napi_get_value_int32(env, argv[4], &port) != napi_ok || (family != 4 && family != 6) ||
      (type != 1 && type != 2) || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL,
                          "openSocketIn(nsFd, family: 4|6, type: 1 (stream)|2 (dgram), address, port, reusePort?)");
    return NULL;
  }
  if (argc >= 6) {
    napi_valuetype kind;
    napi_typeof(env, argv[5], &kind);
    if (kind == napi_boolean) napi_get_value_bool(env, argv[5], &reuse_port);
  }
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, address, &a->sin_addr) != 1) return throw_errno(env, address, EINVAL);
    sslen = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, address, &a->sin6_addr) != 1) return throw_errno(env, address, EINVAL);
    sslen = sizeof *a;
  }
  int own = open_own_netns();
  if (own < 0) return throw_errno(env, "open own netns", errno);
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(own);
    return throw_errno(env, "setns", err);
  }
  int err = 0;
  const char *step = NULL;
  int sock = socket(family == 4 ? AF_INET : AF_INET6,
                    (type == 1 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (sock < 0) {
    err = errno;
    step = "socket";
  } else {
    int one = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port && setsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      err = errno;
      step = "setsockopt(SO_REUSEPORT)";
      close(sock);
    } else if (bind(sock, (struct sockaddr *)&ss, sslen) != 0) {
      err = errno;
      step = "bind";
      close(sock);
    }
  }
  if (setns(own, CLONE_NEWNET) != 0) {
    perror("weft_netns: setns back to own namespace failed");
    abort();
  }
  close(own);
  if (err) return throw_errno(env, step, err);
  napi_value out;
  napi_create_int32(env, sock, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createNetns", NULL, create_netns, NULL, NULL, NULL, napi_default, NULL},
      {"pinOwnNetns", NULL, pin_own_netns, NULL, NULL, NULL, napi_default, NULL},
      {"deleteNetns", NULL, delete_netns, NULL, NULL, NULL, napi_default, NULL},
      {"inNetns", NULL, in_netns, NULL, NULL, NULL, napi_default, NULL},
      {"openSocketIn", NULL, open_socket_in, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
