/*
 * Pure parsing and encoding for the Janus agent protocol; see protocol.h and
 * docs/agent-protocol.md.
 */
#define _GNU_SOURCE
#include "protocol.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int jp_type_known(unsigned type) { return type >= JP_HELLO && type <= JP_THAW; }

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

int jp_frame_parse(const uint8_t *buf, size_t n, struct jp_frame *frame, size_t *used) {
  if (n < 4) return JP_FRAME_MORE;
  uint32_t length = get_be32(buf);
  if (length < 5 || length > JP_MAX_PAYLOAD + 5) return JP_FRAME_BADLEN;
  if (n < 5) return JP_FRAME_MORE;
  if (!jp_type_known(buf[4])) return JP_FRAME_BADTYPE;
  if (n - 4 < length) return JP_FRAME_MORE;
  frame->type = buf[4];
  frame->channel = get_be32(buf + 5);
  frame->payload = buf + JP_HEADER;
  frame->len = length - 5;
  *used = 4 + (size_t)length;
  return JP_FRAME_OK;
}

void jp_frame_header(uint8_t out[JP_HEADER], uint8_t type, uint32_t channel, size_t payload_len) {
  put_be32(out, (uint32_t)(payload_len + 5));
  out[4] = type;
  put_be32(out + 5, channel);
}

static int key_char(char c, int first) {
  return (c >= 'a' && c <= 'z') || (!first && ((c >= '0' && c <= '9') || c == '_'));
}

int jp_record_next(const uint8_t *payload, size_t n, size_t *off, struct jp_record *rec) {
  size_t start = *off;
  if (start >= n) return 0;
  const uint8_t *p = payload + start;
  size_t rest = n - start;
  const uint8_t *nul = memchr(p, 0, rest);
  if (!nul) return -1;
  size_t rec_len = (size_t)(nul - p);
  const uint8_t *eq = memchr(p, '=', rec_len);
  if (!eq || eq == p) return -1;
  size_t key_len = (size_t)(eq - p);
  for (size_t i = 0; i < key_len; i++)
    if (!key_char((char)p[i], i == 0)) return -1;
  rec->key = (const char *)p;
  rec->key_len = key_len;
  rec->val = (const char *)eq + 1;
  rec->val_len = rec_len - key_len - 1;
  *off = start + rec_len + 1;
  return 1;
}

int jp_records_valid(const uint8_t *payload, size_t n) {
  size_t off = 0;
  struct jp_record r;
  int k;
  while ((k = jp_record_next(payload, n, &off, &r)) == 1) {
  }
  return k == 0;
}

int jp_key_is(const struct jp_record *rec, const char *key) {
  size_t l = strlen(key);
  return rec->key_len == l && memcmp(rec->key, key, l) == 0;
}

static int buf_reserve(struct jp_buf *b, size_t more) {
  if (more > JP_MAX_PAYLOAD || b->len > JP_MAX_PAYLOAD - more) return -1;
  size_t need = b->len + more;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap *= 2;
  uint8_t *d = realloc(b->data, cap);
  if (!d) return -1;
  b->data = d;
  b->cap = cap;
  return 0;
}

int jp_put(struct jp_buf *b, const char *key, const char *val) {
  size_t kl = strlen(key), vl = strlen(val);
  if (kl == 0) return -1;
  for (size_t i = 0; i < kl; i++)
    if (!key_char(key[i], i == 0)) return -1;
  if (kl > JP_MAX_PAYLOAD || vl > JP_MAX_PAYLOAD || buf_reserve(b, kl + vl + 2) < 0) return -1;
  memcpy(b->data + b->len, key, kl);
  b->data[b->len + kl] = '=';
  memcpy(b->data + b->len + kl + 1, val, vl);
  b->data[b->len + kl + 1 + vl] = 0;
  b->len += kl + vl + 2;
  return 0;
}

int jp_putf(struct jp_buf *b, const char *key, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return -1;
  if ((size_t)n < sizeof small) return jp_put(b, key, small);
  if ((size_t)n > JP_MAX_PAYLOAD) return -1;
  char *big = malloc((size_t)n + 1);
  if (!big) return -1;
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  int r = jp_put(b, key, big);
  free(big);
  return r;
}

void jp_buf_free(struct jp_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int jp_parse_u64(const char *s, uint64_t *out) {
  if (!*s) return -1;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int jp_parse_i64(const char *s, int64_t *out) {
  int neg = *s == '-';
  uint64_t v;
  if (jp_parse_u64(s + neg, &v) < 0) return -1;
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1) return -1;
    *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  } else {
    if (v > (uint64_t)INT64_MAX) return -1;
    *out = (int64_t)v;
  }
  return 0;
}

int jp_parse_bool(const char *s, int *out) {
  if (strcmp(s, "1") == 0) *out = 1;
  else if (strcmp(s, "0") == 0) *out = 0;
  else return -1;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long jp_parse_hex(const char *s, uint8_t *out, size_t cap) {
  size_t l = strlen(s);
  if (l % 2 || l / 2 > cap) return -1;
  for (size_t i = 0; i < l / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(l / 2);
}

int jp_split_fields(char *val, char **fields, int max) {
  int n = 0;
  char *p = val;
  for (;;) {
    if (n == max) return -1;
    fields[n++] = p;
    char *tab = strchr(p, '\t');
    if (!tab) return n;
    *tab = 0;
    p = tab + 1;
  }
}

int jp_parse_cidr(const char *s, int *family, uint8_t addr[16], int *prefix) {
  char tmp[64];
  size_t l = strlen(s);
  if (l == 0 || l >= sizeof tmp) return -1;
  memcpy(tmp, s, l + 1);
  char *slash = strchr(tmp, '/');
  *prefix = -1;
  if (slash) {
    *slash = 0;
    uint64_t p;
    if (jp_parse_u64(slash + 1, &p) < 0 || p > 128) return -1;
    *prefix = (int)p;
  }
  memset(addr, 0, 16);
  if (strchr(tmp, ':')) {
    if (inet_pton(AF_INET6, tmp, addr) != 1) return -1;
    *family = 6;
  } else {
    if (inet_pton(AF_INET, tmp, addr) != 1) return -1;
    *family = 4;
    if (*prefix > 32) return -1;
  }
  return 0;
}

int jp_parse_mac(const char *s, uint8_t mac[6]) {
  if (strlen(s) != 17) return -1;
  for (int i = 0; i < 6; i++) {
    int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':')) return -1;
    mac[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

static const struct {
  const char *name;
  int resource;
} RLIMITS[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

int jp_rlimit_resource(const char *name) {
  for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0]; i++)
    if (strcmp(RLIMITS[i].name, name) == 0) return RLIMITS[i].resource;
  return -1;
}

/* ---- messages ---- */

#define FAIL(...)                                                                                                      \
  do {                                                                                                                 \
    snprintf(err, errlen, __VA_ARGS__);                                                                                \
    goto fail;                                                                                                         \
  } while (0)

/* Copies the payload (NUL-terminated) and counts its records; -1 when malformed. */
static char *copy_payload(const uint8_t *payload, size_t n, int *count) {
  size_t off = 0;
  struct jp_record r;
  int k, c = 0;
  while ((k = jp_record_next(payload, n, &off, &r)) == 1) c++;
  if (k < 0) return NULL;
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, payload, n);
  s[n] = 0;
  *count = c;
  return s;
}

/* An absolute path without NUL, at most PATH_MAX-ish long. */
static int path_ok(const char *p) { return p[0] == '/' && strlen(p) < 4096; }

/* A relative path with no ".." component ("." allowed). */
static int subpath_ok(const char *p) {
  if (!*p || p[0] == '/' || strlen(p) >= 4096) return 0;
  const char *c = p;
  while (*c) {
    const char *e = strchr(c, '/');
    size_t l = e ? (size_t)(e - c) : strlen(c);
    if (l == 2 && c[0] == '.' && c[1] == '.') return 0;
    if (!e) break;
    c = e + 1;
  }
  return 1;
}

static int iface_name_ok(const char *n) {
  size_t l = strlen(n);
  if (l == 0 || l >= 16 || strcmp(n, ".") == 0 || strcmp(n, "..") == 0) return 0;
  for (size_t i = 0; i < l; i++)
    if (n[i] == '/' || n[i] == ':' || n[i] <= ' ' || n[i] == 0x7f) return 0;
  return 1;
}

static int sysctl_key_ok(const char *k) {
  size_t l = strlen(k);
  /* dotted (net.ipv4.ip_forward) or slashed (net/ipv4/ip_forward), never leaving /proc/sys */
  if (l == 0 || l > 200 || k[0] == '.' || k[0] == '/' || strstr(k, "..") || strstr(k, "./") || strstr(k, "/."))
    return 0;
  for (size_t i = 0; i < l; i++) {
    char c = k[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
          c == '.' || c == '/'))
      return 0;
  }
  return 1;
}

void jp_config_free(struct jp_config *c) {
  free(c->storage);
  free(c->ifaces);
  free(c->routes);
  free(c->mounts);
  free(c->sysctls);
  memset(c, 0, sizeof *c);
}

int jp_parse_config(const uint8_t *payload, size_t n, struct jp_config *c, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  int count = 0;
  if (!(c->storage = copy_payload(payload, n, &count))) FAIL("malformed records");
  size_t cnt = count ? (size_t)count : 1;
  c->ifaces = calloc(cnt, sizeof *c->ifaces);
  c->routes = calloc(cnt, sizeof *c->routes);
  c->mounts = calloc(cnt, sizeof *c->mounts);
  c->sysctls = calloc(cnt, sizeof *c->sysctls);
  if (!c->ifaces || !c->routes || !c->mounts || !c->sysctls) FAIL("out of memory");
  size_t off = 0;
  struct jp_record r;
  while (jp_record_next((const uint8_t *)c->storage, n, &off, &r) == 1) {
    char *val = (char *)r.val;
    char *f[6];
    int nf;
    if (jp_key_is(&r, "hostname")) {
      if (strlen(val) == 0 || strlen(val) > 64) FAIL("hostname must be 1 to 64 bytes");
      c->hostname = val;
    } else if (jp_key_is(&r, "iface")) {
      struct jp_iface *i = &c->ifaces[c->n_ifaces];
      if ((nf = jp_split_fields(val, f, 4)) != 4) FAIL("iface needs name, mac, address/prefix and mtu");
      if (!iface_name_ok(f[0])) FAIL("invalid interface name '%.32s'", f[0]);
      if (jp_parse_mac(f[1], i->mac) < 0) FAIL("invalid MAC address '%.32s'", f[1]);
      if (*f[2]) {
        if (jp_parse_cidr(f[2], &i->family, i->addr, &i->prefix) < 0 || i->prefix < 0)
          FAIL("invalid interface address '%.64s' (address/prefix)", f[2]);
        i->has_addr = 1;
      }
      uint64_t mtu = 0;
      if (*f[3] && (jp_parse_u64(f[3], &mtu) < 0 || (mtu != 0 && (mtu < 68 || mtu > 65535))))
        FAIL("invalid MTU '%.32s'", f[3]);
      i->mtu = (unsigned)mtu;
      i->name = f[0];
      c->n_ifaces++;
    } else if (jp_key_is(&r, "route")) {
      struct jp_route *rt = &c->routes[c->n_routes];
      if ((nf = jp_split_fields(val, f, 2)) != 2) FAIL("route needs destination/prefix and gateway");
      if (jp_parse_cidr(f[0], &rt->family, rt->dst, &rt->prefix) < 0) FAIL("invalid route destination '%.64s'", f[0]);
      if (rt->prefix < 0) rt->prefix = rt->family == 4 ? 32 : 128; /* a host route */
      if (*f[1]) {
        int fam, pfx;
        if (jp_parse_cidr(f[1], &fam, rt->gw, &pfx) < 0 || pfx >= 0 || fam != rt->family)
          FAIL("invalid gateway '%.64s'", f[1]);
        rt->has_gw = 1;
      }
      c->n_routes++;
    } else if (jp_key_is(&r, "disk")) {
      if ((nf = jp_split_fields(val, f, 2)) != 2 || !path_ok(f[0]) || !*f[1] || strlen(f[1]) > 32)
        FAIL("disk needs an absolute device path and a filesystem type");
      c->disk_dev = f[0];
      c->disk_fs = f[1];
    } else if (jp_key_is(&r, "mount")) {
      struct jp_mount *m = &c->mounts[c->n_mounts];
      nf = jp_split_fields(val, f, 5);
      if (nf >= 1 && strcmp(f[0], "9p") == 0) {
        if (nf != 5) FAIL("a 9p mount needs tag, subpath, destination and ro|rw");
        if (!*f[1] || strlen(f[1]) > 255) FAIL("invalid 9p tag");
        if (!subpath_ok(f[2])) FAIL("invalid subpath '%.64s' (relative, no '..')", f[2]);
        if (!path_ok(f[3])) FAIL("mount destination '%.64s' is not an absolute path", f[3]);
        if (strcmp(f[4], "ro") == 0) m->ro = 1;
        else if (strcmp(f[4], "rw") != 0) FAIL("mount mode must be ro or rw, not '%.16s'", f[4]);
        m->kind = JP_MOUNT_9P;
        m->tag = f[1];
        m->subpath = f[2];
        m->dest = f[3];
      } else if (nf >= 1 && strcmp(f[0], "tmpfs") == 0) {
        if (nf != 3) FAIL("a tmpfs mount needs destination and options");
        if (!path_ok(f[1])) FAIL("mount destination '%.64s' is not an absolute path", f[1]);
        m->kind = JP_MOUNT_TMPFS;
        m->dest = f[1];
        m->options = f[2];
      } else {
        FAIL("unknown mount type '%.16s'", nf >= 1 ? f[0] : "");
      }
      c->n_mounts++;
    } else if (jp_key_is(&r, "sysctl")) {
      if ((nf = jp_split_fields(val, f, 2)) != 2 || !sysctl_key_ok(f[0])) FAIL("invalid sysctl");
      c->sysctls[c->n_sysctls].key = f[0];
      c->sysctls[c->n_sysctls].value = f[1];
      c->n_sysctls++;
    } else if (jp_key_is(&r, "now")) {
      if (jp_parse_i64(val, &c->now_ns) < 0 || c->now_ns < 0) FAIL("invalid now");
      c->has_now = 1;
    }
  }
  return 0;
fail:
  jp_config_free(c);
  return -1;
}

void jp_start_free(struct jp_start *s) {
  free(s->storage);
  free(s->argv);
  free(s->envp);
  free(s->groups);
  free(s->rlimits);
  memset(s, 0, sizeof *s);
}

static int parse_uint_max(const char *s, uint64_t max, uint64_t *out) {
  return jp_parse_u64(s, out) < 0 || *out > max ? -1 : 0;
}

int jp_parse_start(const uint8_t *payload, size_t n, struct jp_start *s, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  int count = 0;
  if (!(s->storage = copy_payload(payload, n, &count))) FAIL("malformed records");
  size_t cnt = (size_t)count + 1;
  s->argv = calloc(cnt, sizeof *s->argv);
  s->envp = calloc(cnt, sizeof *s->envp);
  s->rlimits = calloc(cnt, sizeof *s->rlimits);
  if (!s->argv || !s->envp || !s->rlimits) FAIL("out of memory");
  s->cwd = "/";
  size_t off = 0;
  struct jp_record r;
  uint64_t v;
  while (jp_record_next((const uint8_t *)s->storage, n, &off, &r) == 1) {
    char *val = (char *)r.val;
    if (jp_key_is(&r, "arg")) {
      s->argv[s->argc++] = val;
    } else if (jp_key_is(&r, "env")) {
      if (!*val) FAIL("empty env entry");
      s->envp[s->envc++] = val;
    } else if (jp_key_is(&r, "cwd")) {
      if (!path_ok(val)) FAIL("cwd '%.64s' is not an absolute path", val);
      s->cwd = val;
    } else if (jp_key_is(&r, "uid")) {
      if (parse_uint_max(val, UINT32_MAX - 1, &v) < 0) FAIL("invalid uid");
      s->uid = (uint32_t)v;
    } else if (jp_key_is(&r, "gid")) {
      if (parse_uint_max(val, UINT32_MAX - 1, &v) < 0) FAIL("invalid gid");
      s->gid = (uint32_t)v;
    } else if (jp_key_is(&r, "groups")) {
      free(s->groups);
      s->groups = NULL;
      s->n_groups = 0;
      if (!*val) continue;
      size_t commas = 0;
      for (const char *p = val; *p; p++) commas += *p == ',';
      if (commas >= 65536) FAIL("too many groups");
      s->groups = calloc(commas + 1, sizeof *s->groups);
      if (!s->groups) FAIL("out of memory");
      char *p = val;
      for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (parse_uint_max(p, UINT32_MAX - 1, &v) < 0) FAIL("invalid groups");
        s->groups[s->n_groups++] = (uint32_t)v;
        if (!comma) break;
        p = comma + 1;
      }
    } else if (jp_key_is(&r, "tty")) {
      if (jp_parse_bool(val, &s->tty) < 0) FAIL("tty must be 0 or 1");
    } else if (jp_key_is(&r, "rows")) {
      if (parse_uint_max(val, 65535, &v) < 0) FAIL("invalid rows");
      s->rows = (int)v;
    } else if (jp_key_is(&r, "cols")) {
      if (parse_uint_max(val, 65535, &v) < 0) FAIL("invalid cols");
      s->cols = (int)v;
    } else if (jp_key_is(&r, "stdin")) {
      if (jp_parse_bool(val, &s->stdin_open) < 0) FAIL("stdin must be 0 or 1");
    } else if (jp_key_is(&r, "init")) {
      if (jp_parse_bool(val, &s->init) < 0) FAIL("init must be 0 or 1");
    } else if (jp_key_is(&r, "nonewprivs")) {
      if (jp_parse_bool(val, &s->nonewprivs) < 0) FAIL("nonewprivs must be 0 or 1");
    } else if (jp_key_is(&r, "root")) {
      if (val[0] != '/' || !subpath_ok(val + 1)) FAIL("root '%.64s' is not an absolute path below / without '..'", val);
      s->root = val;
    } else if (jp_key_is(&r, "hostname")) {
      if (!*val || strlen(val) > 64) FAIL("hostname must have 1 to 64 characters");
      s->hostname = val;
    } else if (jp_key_is(&r, "workload")) {
      if (parse_uint_max(val, UINT32_MAX, &v) < 0 || v == 0) FAIL("invalid workload");
      s->workload = (uint32_t)v;
    } else if (jp_key_is(&r, "caps")) {
      size_t l = strlen(val);
      if (l == 0 || l > 16) FAIL("invalid caps");
      uint64_t c = 0;
      for (size_t i = 0; i < l; i++) {
        int h = hexval(val[i]);
        if (h < 0) FAIL("invalid caps");
        c = c << 4 | (uint64_t)h;
      }
      s->caps = c;
      s->has_caps = 1;
    } else if (jp_key_is(&r, "rlimit")) {
      char *f[3];
      if (jp_split_fields(val, f, 3) != 3) FAIL("rlimit needs name, soft and hard");
      struct jp_rlimit *rl = &s->rlimits[s->n_rlimits];
      if ((rl->resource = jp_rlimit_resource(f[0])) < 0) FAIL("unknown rlimit '%.16s'", f[0]);
      /* -1, or 2^64-1 as OCI specs write it, is unlimited */
      if (strcmp(f[1], "-1") == 0) rl->soft = UINT64_MAX;
      else if (jp_parse_u64(f[1], &rl->soft) < 0) FAIL("invalid rlimit soft value");
      if (strcmp(f[2], "-1") == 0) rl->hard = UINT64_MAX;
      else if (jp_parse_u64(f[2], &rl->hard) < 0) FAIL("invalid rlimit hard value");
      if (rl->soft > rl->hard) FAIL("rlimit %s: soft above hard", f[0]);
      s->n_rlimits++;
    }
  }
  if (s->argc == 0 || !*s->argv[0]) FAIL("no command (arg)");
  return 0;
fail:
  jp_start_free(s);
  return -1;
}

int jp_parse_signal(const uint8_t *payload, size_t n, struct jp_signal *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  size_t off = 0;
  struct jp_record r;
  int k;
  uint64_t v;
  while ((k = jp_record_next(payload, n, &off, &r)) == 1) {
    if (jp_key_is(&r, "signal")) {
      if (parse_uint_max(r.val, 64, &v) < 0 || v == 0) FAIL("invalid signal");
      out->signal = (int)v;
    } else if (jp_key_is(&r, "all")) {
      if (jp_parse_bool(r.val, &out->all) < 0) FAIL("all must be 0 or 1");
    }
  }
  if (k < 0) FAIL("malformed records");
  if (!out->signal) FAIL("no signal");
  return 0;
fail:
  return -1;
}

int jp_parse_resize(const uint8_t *payload, size_t n, struct jp_resize *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  out->rows = out->cols = -1;
  size_t off = 0;
  struct jp_record r;
  int k;
  uint64_t v;
  while ((k = jp_record_next(payload, n, &off, &r)) == 1) {
    if (jp_key_is(&r, "rows")) {
      if (parse_uint_max(r.val, 65535, &v) < 0) FAIL("invalid rows");
      out->rows = (int)v;
    } else if (jp_key_is(&r, "cols")) {
      if (parse_uint_max(r.val, 65535, &v) < 0) FAIL("invalid cols");
      out->cols = (int)v;
    }
  }
  if (k < 0) FAIL("malformed records");
  if (out->rows < 0 || out->cols < 0) FAIL("resize needs rows and cols");
  return 0;
fail:
  return -1;
}

int jp_parse_sync(const uint8_t *payload, size_t n, struct jp_sync *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  size_t off = 0;
  struct jp_record r;
  int k;
  while ((k = jp_record_next(payload, n, &off, &r)) == 1) {
    if (jp_key_is(&r, "now")) {
      if (jp_parse_i64(r.val, &out->now_ns) < 0 || out->now_ns < 0) FAIL("invalid now");
      out->has_now = 1;
    } else if (jp_key_is(&r, "seed")) {
      long l = jp_parse_hex(r.val, out->seed, sizeof out->seed);
      if (l < 0) FAIL("invalid seed (hex, at most %zu bytes)", sizeof out->seed);
      out->seed_len = (int)l;
    }
  }
  if (k < 0) FAIL("malformed records");
  return 0;
fail:
  return -1;
}

long jp_hello_version(const uint8_t *payload, size_t n) {
  size_t off = 0;
  struct jp_record r;
  uint64_t v;
  while (jp_record_next(payload, n, &off, &r) == 1)
    if (jp_key_is(&r, "version")) return parse_uint_max(r.val, 1000000, &v) < 0 ? -1 : (long)v;
  return -1;
}
