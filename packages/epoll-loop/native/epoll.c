/*
 * The native half of @aioloop/epoll-loop: epoll, an eventfd and non-blocking socket calls for
 * Node-API, Linux only.
 *
 * HOW: every call is a thin wrapper over one system call. Hot-path calls (epoll_wait, recv,
 * send, sendmsg, accept4, connect, epoll_ctl) return -errno instead of throwing, so a would-block
 * costs no exception. epoll_wait writes its events as (fd, events) pairs into an Int32Array the
 * caller handed over once (setEventBuffer): no allocation per wait. For host-driven runs a
 * uv_poll_t on the epoll fd (pollStart/pollStop) calls back into JavaScript from Node's own loop
 * when the epoll set has something ready.
 *
 * WHY C and Node-API: ABI-stable across Node versions, and nothing but the system calls.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_IOV 64
#define ADDR_TEXT 64

typedef struct {
  napi_env env;
  napi_ref buffer_ref;   /* the Int32Array epoll_wait writes into */
  int32_t *events;       /* its data (the buffer is never detached: the loop owns it) */
  uint32_t capacity;     /* pairs it holds */
  uv_poll_t *poll;       /* non-null while pollStart is in effect */
  napi_ref poll_cb;
  napi_async_context poll_ctx; /* so callbacks drain microtasks, as Node's own I/O callbacks do */
  int poll_fd;
} State;

static int epoll_pwait2_missing = 0;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "epoll-loop addon: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value int_result(napi_env env, int64_t rc) {
  napi_value r;
  napi_create_int64(env, rc, &r);
  return r;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

#define ARGS(n)                                                        \
  size_t argc = (n);                                                   \
  napi_value argv[(n) > 0 ? (n) : 1];                                  \
  State *st;                                                           \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&st)); \
  (void)st;

/* Uint8Array at argv[i]: its bytes and length. */
static int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  void *p;
  if (napi_get_typedarray_info(env, v, &t, len, &p, &ab, &off) != napi_ok) return 0;
  if (t != napi_uint8_array && t != napi_uint8_clamped_array) return 0;
  *data = (uint8_t *)p;
  return 1;
}

/* ── epoll and eventfd ─────────────────────────────────────────────────────────────── */

static napi_value EpollCreate(napi_env env, napi_callback_info info) {
  ARGS(0);
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return int_result(env, fd < 0 ? -errno : fd);
}

static napi_value EpollCtl(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t epfd, op, fd, events;
  if (!arg_int(env, argv[0], &epfd) || !arg_int(env, argv[1], &op) ||
      !arg_int(env, argv[2], &fd) || !arg_int(env, argv[3], &events)) {
    napi_throw_type_error(env, NULL, "epollCtl(epfd, op, fd, events) takes four integers");
    return NULL;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = (uint32_t)events;
  ev.data.fd = fd;
  int rc = epoll_ctl(epfd, op, fd, &ev);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value SetEventBuffer(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_typedarray_type t;
  size_t len, off;
  void *p;
  napi_value ab;
  if (napi_get_typedarray_info(env, argv[0], &t, &len, &p, &ab, &off) != napi_ok ||
      t != napi_int32_array || len < 2) {
    napi_throw_type_error(env, NULL, "setEventBuffer needs an Int32Array of at least 2 elements");
    return NULL;
  }
  if (st->buffer_ref != NULL) napi_delete_reference(env, st->buffer_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &st->buffer_ref));
  st->events = (int32_t *)p;
  st->capacity = (uint32_t)(len / 2);
  return NULL;
}

/*
 * epollWait(epfd, max, timeoutMs): up to `max` events into the event buffer as (fd, events)
 * pairs; returns how many, or -errno. timeoutMs < 0 waits without limit; a fractional timeout
 * is honoured to the microsecond where the kernel has epoll_pwait2 (5.11+), rounded up to the
 * millisecond elsewhere (never early).
 */
static napi_value EpollWait(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t epfd, max;
  double timeout;
  if (!arg_int(env, argv[0], &epfd) || !arg_int(env, argv[1], &max) ||
      napi_get_value_double(env, argv[2], &timeout) != napi_ok) {
    napi_throw_type_error(env, NULL, "epollWait(epfd, max, timeoutMs)");
    return NULL;
  }
  if (st->events == NULL) {
    napi_throw_error(env, NULL, "epollWait: call setEventBuffer first");
    return NULL;
  }
  if (max <= 0 || (uint32_t)max > st->capacity) max = (int32_t)st->capacity;
  struct epoll_event evs[256];
  if (max > 256) max = 256;
  int n;
  if (timeout == 0) {
    n = epoll_wait(epfd, evs, max, 0);
  } else if (timeout < 0 || timeout > 2147483647.0) {
    n = epoll_wait(epfd, evs, max, -1);
  } else {
    n = -1;
    errno = ENOSYS;
#ifdef SYS_epoll_pwait2
    if (!epoll_pwait2_missing) {
      struct timespec ts;
      ts.tv_sec = (time_t)(timeout / 1000.0);
      ts.tv_nsec = (long)((timeout - (double)ts.tv_sec * 1000.0) * 1e6);
      if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
      n = (int)syscall(SYS_epoll_pwait2, epfd, evs, max, &ts, NULL, 0);
      if (n < 0 && errno == ENOSYS) epoll_pwait2_missing = 1;
    }
#endif
    if (n < 0 && errno == ENOSYS) {
      int ms = (int)timeout;
      if ((double)ms < timeout) ms++;
      n = epoll_wait(epfd, evs, max, ms);
    }
  }
  if (n < 0) return int_result(env, errno == EINTR ? 0 : -errno);
  int32_t *out = st->events;
  for (int i = 0; i < n; i++) {
    out[2 * i] = evs[i].data.fd;
    out[2 * i + 1] = (int32_t)evs[i].events;
  }
  return int_result(env, n);
}

static napi_value EventfdCreate(napi_env env, napi_callback_info info) {
  ARGS(0);
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return int_result(env, fd < 0 ? -errno : fd);
}

/* Any thread may call this (it touches no JavaScript state): a worker that woke the loop. */
static napi_value EventfdWrite(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  uint64_t one = 1;
  ssize_t rc = write(fd, &one, sizeof one);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value EventfdRead(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  uint64_t v = 0;
  ssize_t rc = read(fd, &v, sizeof v);
  return int_result(env, rc < 0 ? -errno : (int64_t)v);
}

/* ── uv_poll on the epoll fd (host-driven runs) ───────────────────────────────────────── */

static void on_poll(uv_poll_t *h, int status, int events) {
  State *st = (State *)h->data;
  napi_env env = st->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, global, r;
  if (st->poll_cb != NULL && napi_get_reference_value(env, st->poll_cb, &cb) == napi_ok &&
      cb != NULL) {
    napi_get_global(env, &global);
    napi_value arg = num(env, status < 0 ? status : events);
    /* make_callback, not call_function: the callback may run the loop's turn, and the Promises
       it settles must see their reactions run when it returns (a microtask checkpoint). */
    if (napi_make_callback(env, st->poll_ctx, global, cb, 1, &arg, &r) != napi_ok) {
      napi_value exc;
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_get_and_clear_last_exception(env, &exc);
        napi_fatal_exception(env, exc);
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

static void free_poll(uv_handle_t *h) { free(h); }

static void stop_poll(napi_env env, State *st) {
  if (st->poll == NULL) return;
  uv_poll_stop(st->poll);
  st->poll->data = NULL;
  uv_close((uv_handle_t *)st->poll, free_poll);
  st->poll = NULL;
  if (st->poll_cb != NULL) {
    napi_delete_reference(env, st->poll_cb);
    st->poll_cb = NULL;
  }
  if (st->poll_ctx != NULL) {
    napi_async_destroy(env, st->poll_ctx);
    st->poll_ctx = NULL;
  }
}

/* pollStart(fd, cb): call cb(events) from Node's loop whenever fd is readable. */
static napi_value PollStart(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "pollStart(fd, callback)");
    return NULL;
  }
  if (st->poll != NULL && st->poll_fd == fd) return NULL;
  stop_poll(env, st);
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_t *h = malloc(sizeof *h);
  if (h == NULL) {
    napi_throw_error(env, "ENOMEM", "pollStart: out of memory");
    return NULL;
  }
  int rc = uv_poll_init(loop, h, fd);
  if (rc < 0) {
    free(h);
    return int_result(env, rc);
  }
  h->data = st;
  CHECK(napi_create_reference(env, argv[1], 1, &st->poll_cb));
  napi_value name;
  napi_create_string_utf8(env, "aioloop.epoll", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_async_init(env, NULL, name, &st->poll_ctx));
  st->poll = h;
  st->poll_fd = fd;
  rc = uv_poll_start(h, UV_READABLE, on_poll);
  if (rc < 0) {
    stop_poll(env, st);
    return int_result(env, rc);
  }
  return int_result(env, 0);
}

static napi_value PollStop(napi_env env, napi_callback_info info) {
  ARGS(0);
  stop_poll(env, st);
  return NULL;
}

/* pollRef(on): whether the watch keeps Node's loop alive. */
static napi_value PollRef(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool on = false;
  napi_get_value_bool(env, argv[0], &on);
  if (st->poll != NULL) {
    if (on) uv_ref((uv_handle_t *)st->poll);
    else uv_unref((uv_handle_t *)st->poll);
  }
  return NULL;
}

/* ── sockets ───────────────────────────────────────────────────────────────────────────── */

/* Parse `host` (numeric IPv4/IPv6, or "" for any IPv4) and `port` into `ss`. */
static int parse_addr(napi_env env, napi_value host, napi_value port, struct sockaddr_storage *ss,
                      socklen_t *len) {
  char text[ADDR_TEXT];
  size_t n = 0;
  int32_t p;
  if (napi_get_value_string_utf8(env, host, text, sizeof text, &n) != napi_ok) return -EINVAL;
  if (!arg_int(env, port, &p) || p < 0 || p > 65535) return -EINVAL;
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (n == 0) {
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_ANY);
    a4->sin_port = htons((uint16_t)p);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)p);
    *len = sizeof *a4;
    return 0;
  }
  char *pct = strchr(text, '%'); /* a scope id is not supported: drop it */
  if (pct != NULL) *pct = 0;
  if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)p);
    *len = sizeof *a6;
    return 0;
  }
  return -EAFNOSUPPORT;
}

static int parse_unix(napi_env env, napi_value path, struct sockaddr_storage *ss, socklen_t *len) {
  struct sockaddr_un *u = (struct sockaddr_un *)ss;
  size_t n = 0;
  memset(ss, 0, sizeof *ss);
  u->sun_family = AF_UNIX;
  if (napi_get_value_string_utf8(env, path, u->sun_path, sizeof u->sun_path, &n) != napi_ok)
    return -EINVAL;
  if (n == 0 || n >= sizeof u->sun_path - 1) return -ENAMETOOLONG;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
  return 0;
}

/* socket(family): a non-blocking, close-on-exec stream socket; family 4, 6 or 1 (Unix). */
static napi_value Socket(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fam;
  if (!arg_int(env, argv[0], &fam)) return NULL;
  int af = fam == 6 ? AF_INET6 : fam == 1 ? AF_UNIX : AF_INET;
  int fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return int_result(env, fd < 0 ? -errno : fd);
}

/* familyOf(host): 6 for an IPv6 literal, 4 otherwise (names are resolved in JavaScript). */
static napi_value FamilyOf(napi_env env, napi_callback_info info) {
  ARGS(1);
  char text[ADDR_TEXT];
  size_t n = 0;
  napi_get_value_string_utf8(env, argv[0], text, sizeof text, &n);
  struct in6_addr a6;
  char *pct = strchr(text, '%');
  if (pct != NULL) *pct = 0;
  return int_result(env, inet_pton(AF_INET6, text, &a6) == 1 ? 6 : 4);
}

static napi_value SetReuseAddr(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  int one = 1;
  int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value SetNoDelay(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  bool on = true;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  napi_get_value_bool(env, argv[1], &on);
  int v = on ? 1 : 0;
  int rc = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value SetV6Only(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  int one = 1;
  int rc = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  return int_result(env, rc < 0 ? -errno : 0);
}

/* bind(fd, host, port) / bindUnix(fd, path) */
static napi_value Bind(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = parse_addr(env, argv[1], argv[2], &ss, &len);
  if (rc < 0) return int_result(env, rc);
  rc = bind(fd, (struct sockaddr *)&ss, len);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value BindUnix(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = parse_unix(env, argv[1], &ss, &len);
  if (rc < 0) return int_result(env, rc);
  rc = bind(fd, (struct sockaddr *)&ss, len);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value Listen(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, backlog;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &backlog)) return NULL;
  int rc = listen(fd, backlog);
  return int_result(env, rc < 0 ? -errno : 0);
}

/* accept4(fd): a new non-blocking, close-on-exec socket, or -errno (-EAGAIN: none waits). */
static napi_value Accept(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return int_result(env, c < 0 ? -errno : c);
}

/* connect(fd, host, port) / connectUnix(fd, path): 0, or -EINPROGRESS, or -errno. */
static napi_value Connect(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = parse_addr(env, argv[1], argv[2], &ss, &len);
  if (rc < 0) return int_result(env, rc);
  rc = connect(fd, (struct sockaddr *)&ss, len);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value ConnectUnix(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = parse_unix(env, argv[1], &ss, &len);
  if (rc < 0) return int_result(env, rc);
  rc = connect(fd, (struct sockaddr *)&ss, len);
  return int_result(env, rc < 0 ? -errno : 0);
}

/* recv(fd, u8, offset, length): bytes received into u8[offset..], 0 at EOF, or -errno. */
static napi_value Recv(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, off, n;
  uint8_t *data;
  size_t len;
  if (!arg_int(env, argv[0], &fd) || !bytes_of(env, argv[1], &data, &len) ||
      !arg_int(env, argv[2], &off) || !arg_int(env, argv[3], &n) || off < 0 || n < 0 ||
      (size_t)off + (size_t)n > len) {
    napi_throw_range_error(env, NULL, "recv(fd, bytes, offset, length): out of the array's bounds");
    return NULL;
  }
  ssize_t rc;
  do rc = recv(fd, data + off, (size_t)n, 0);
  while (rc < 0 && errno == EINTR);
  return int_result(env, rc < 0 ? -errno : rc);
}

/* send(fd, u8, offset, length): bytes sent, or -errno (never SIGPIPE: -EPIPE). */
static napi_value Send(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, off, n;
  uint8_t *data;
  size_t len;
  if (!arg_int(env, argv[0], &fd) || !bytes_of(env, argv[1], &data, &len) ||
      !arg_int(env, argv[2], &off) || !arg_int(env, argv[3], &n) || off < 0 || n < 0 ||
      (size_t)off + (size_t)n > len) {
    napi_throw_range_error(env, NULL, "send(fd, bytes, offset, length): out of the array's bounds");
    return NULL;
  }
  ssize_t rc;
  do rc = send(fd, data + off, (size_t)n, MSG_NOSIGNAL);
  while (rc < 0 && errno == EINTR);
  return int_result(env, rc < 0 ? -errno : rc);
}

/*
 * sendv(fd, chunks, count, firstOffset): sendmsg of chunks[0..count) (Uint8Arrays), the first
 * from firstOffset; bytes sent, or -errno. At most MAX_IOV chunks per call.
 */
static napi_value Sendv(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t fd, count, first;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[2], &count) ||
      !arg_int(env, argv[3], &first)) {
    napi_throw_type_error(env, NULL, "sendv(fd, chunks, count, firstOffset)");
    return NULL;
  }
  if (count > MAX_IOV) count = MAX_IOV;
  struct iovec iov[MAX_IOV];
  int k = 0;
  for (int i = 0; i < count; i++) {
    napi_value el;
    uint8_t *data;
    size_t len;
    if (napi_get_element(env, argv[1], (uint32_t)i, &el) != napi_ok ||
        !bytes_of(env, el, &data, &len)) {
      napi_throw_type_error(env, NULL, "sendv: every chunk must be a Uint8Array");
      return NULL;
    }
    size_t skip = i == 0 ? (size_t)first : 0;
    if (skip > len) skip = len;
    if (len - skip == 0) continue;
    iov[k].iov_base = data + skip;
    iov[k].iov_len = len - skip;
    k++;
  }
  if (k == 0) return int_result(env, 0);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)k;
  ssize_t rc;
  do rc = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (rc < 0 && errno == EINTR);
  return int_result(env, rc < 0 ? -errno : rc);
}

static napi_value Shutdown(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, how;
  if (!arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &how)) return NULL;
  int rc = shutdown(fd, how);
  return int_result(env, rc < 0 ? -errno : 0);
}

static napi_value Close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  int rc = close(fd);
  return int_result(env, rc < 0 && errno != EINTR ? -errno : 0);
}

/* soError(fd): the pending error (SO_ERROR) as a positive errno, 0 for none, or -errno. */
static napi_value SoError(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  int err = 0;
  socklen_t len = sizeof err;
  int rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return int_result(env, rc < 0 ? -errno : err);
}

/* The address as [host, port, family] (family 4, 6 or 1 with the path as host), or -errno. */
static napi_value addr_value(napi_env env, struct sockaddr_storage *ss) {
  char text[INET6_ADDRSTRLEN + 1] = {0};
  napi_value arr, h;
  int port = 0, fam = 4;
  napi_create_array_with_length(env, 3, &arr);
  if (ss->ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
    fam = 6;
  } else if (ss->ss_family == AF_UNIX) {
    struct sockaddr_un *u = (struct sockaddr_un *)ss;
    napi_create_string_utf8(env, u->sun_path, NAPI_AUTO_LENGTH, &h);
    napi_set_element(env, arr, 0, h);
    napi_set_element(env, arr, 1, num(env, 0));
    napi_set_element(env, arr, 2, num(env, 1));
    return arr;
  }
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &h);
  napi_set_element(env, arr, 0, h);
  napi_set_element(env, arr, 1, num(env, port));
  napi_set_element(env, arr, 2, num(env, fam));
  return arr;
}

static napi_value GetSockName(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return int_result(env, -errno);
  return addr_value(env, &ss);
}

static napi_value GetPeerName(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) return int_result(env, -errno);
  return addr_value(env, &ss);
}

/* resetOnClose(fd): SO_LINGER {on, 0}, so close(2) sends RST instead of FIN (an abortive close). */
static napi_value ResetOnClose(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  struct linger lg = {1, 0};
  int rc = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  return int_result(env, rc < 0 ? -errno : 0);
}

/* inq(fd): bytes received and not yet read (SIOCINQ / FIONREAD), or -errno. */
static napi_value Inq(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], &fd)) return NULL;
  int n = 0;
  int rc = ioctl(fd, FIONREAD, &n);
  return int_result(env, rc < 0 ? -errno : n);
}

/* somaxconn(): the kernel's cap on listen backlogs (SOMAXCONN when it cannot be read). */
static napi_value Somaxconn(napi_env env, napi_callback_info info) {
  ARGS(0);
  return int_result(env, SOMAXCONN);
}

/* noFileLimit(): [soft, hard] RLIMIT_NOFILE. */
static napi_value NoFileLimit(napi_env env, napi_callback_info info) {
  ARGS(0);
  struct rlimit rl;
  napi_value arr;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return int_result(env, -errno);
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, (double)rl.rlim_cur));
  napi_set_element(env, arr, 1, num(env, (double)rl.rlim_max));
  return arr;
}

static void finalize_state(napi_env env, void *data, void *hint) {
  State *st = (State *)data;
  stop_poll(env, st);
  if (st->buffer_ref != NULL) napi_delete_reference(env, st->buffer_ref);
  free(st);
}

NAPI_MODULE_INIT() {
  State *st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  st->env = env;
  st->poll_fd = -1;
  napi_set_instance_data(env, st, finalize_state, NULL);
  napi_property_descriptor props[] = {
#define FN(name, f) {name, NULL, f, NULL, NULL, NULL, napi_enumerable, st}
      FN("epollCreate", EpollCreate),   FN("epollCtl", EpollCtl),
      FN("setEventBuffer", SetEventBuffer), FN("epollWait", EpollWait),
      FN("eventfdCreate", EventfdCreate), FN("eventfdWrite", EventfdWrite),
      FN("eventfdRead", EventfdRead),   FN("pollStart", PollStart),
      FN("pollStop", PollStop),         FN("pollRef", PollRef),
      FN("socket", Socket),             FN("familyOf", FamilyOf),
      FN("setReuseAddr", SetReuseAddr), FN("setNoDelay", SetNoDelay),
      FN("setV6Only", SetV6Only),       FN("bind", Bind),
      FN("bindUnix", BindUnix),         FN("listen", Listen),
      FN("accept", Accept),             FN("connect", Connect),
      FN("connectUnix", ConnectUnix),   FN("recv", Recv),
      FN("send", Send),                 FN("sendv", Sendv),
      FN("shutdown", Shutdown),         FN("close", Close),
      FN("soError", SoError),           FN("getsockname", GetSockName),
      FN("getpeername", GetPeerName),   FN("somaxconn", Somaxconn),
      FN("noFileLimit", NoFileLimit),   FN("resetOnClose", ResetOnClose),
      FN("inq", Inq),
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
