/*
 * The guest side of the Janus agent protocol (docs/agent-protocol.md):
 * frames, records and the meaning of each host message, as pure functions
 * (no I/O, no global state) so that they are unit-tested and fuzzed on the
 * host (agent/protocol-test.c, agent/fuzz-protocol.c).
 *
 * Every parser takes untrusted bytes and a length, never reads outside them,
 * and either fills its result or returns an error with a message; nothing
 * here aborts on input.
 */
#ifndef JANUS_AGENT_PROTOCOL_H
#define JANUS_AGENT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define JP_VERSION 1
#define JP_PORT_NAME "org.janus.agent.0"
#define JP_HEADER 9                  /* length(4) type(1) channel(4) */
#define JP_MAX_PAYLOAD (1024 * 1024) /* 5 <= length <= JP_MAX_PAYLOAD + 5 */

enum jp_type {
  JP_HELLO = 1,
  JP_CONFIG = 2,
  JP_START = 3,
  JP_STDIN = 4,
  JP_SIGNAL = 5,
  JP_RESIZE = 6,
  JP_STATS = 7,
  JP_ACK = 8,
  JP_SHUTDOWN = 9,
  JP_SYNC = 10,
  JP_STDOUT = 11,
  JP_STDERR = 12,
  JP_STARTED = 13,
  JP_EXIT = 14,
  JP_ERROR = 15,
  JP_LOG = 16,
  JP_QUIESCE = 17,
  JP_THAW = 18,
};

/* 1 when `type` is one of the message types above. */
int jp_type_known(unsigned type);

/* ---- frames ---- */

struct jp_frame {
  uint8_t type;
  uint32_t channel;
  const uint8_t *payload; /* points into the buffer given to jp_frame_parse */
  size_t len;
};

enum jp_frame_status {
  JP_FRAME_OK = 0,        /* *frame filled, *used bytes consumed */
  JP_FRAME_MORE = 1,      /* the buffer holds an incomplete frame: read more */
  JP_FRAME_BADLEN = -1,   /* length field outside 5 .. JP_MAX_PAYLOAD + 5 */
  JP_FRAME_BADTYPE = -2,  /* unknown message type */
};

/*
 * Parses the frame at the start of buf[0..n). A length out of bounds is
 * reported as soon as the 4 length bytes are there; an unknown type once the
 * type byte is there. On JP_FRAME_OK, *used is 4 + length.
 */
int jp_frame_parse(const uint8_t *buf, size_t n, struct jp_frame *frame, size_t *used);

/* Writes the 9-byte header of a frame carrying `payload_len` bytes (which must be <= JP_MAX_PAYLOAD). */
void jp_frame_header(uint8_t out[JP_HEADER], uint8_t type, uint32_t channel, size_t payload_len);

/* ---- records ---- */

struct jp_record {
  const char *key; /* not NUL-terminated: key_len bytes */
  size_t key_len;
  const char *val; /* NUL-terminated (the record's own terminator) */
  size_t val_len;
};

/*
 * The record at payload[*off..n): returns 1 and advances *off, 0 at the end
 * of the payload, -1 on a malformed record (no NUL terminator, no '=', a key
 * that is not [a-z][a-z0-9_]*), with *off left unchanged.
 */
int jp_record_next(const uint8_t *payload, size_t n, size_t *off, struct jp_record *rec);

/* 1 when every record of the payload is well-formed, else 0 (a protocol error). */
int jp_records_valid(const uint8_t *payload, size_t n);

/* 1 when the record's key is `key`. */
int jp_key_is(const struct jp_record *rec, const char *key);

/*
 * A growable payload under construction. jp_put* return 0, or -1 when the
 * payload would exceed JP_MAX_PAYLOAD or memory runs out (the buffer is then
 * unchanged). A key must match [a-z][a-z0-9_]*; a NUL inside a value ends it.
 */
struct jp_buf {
  uint8_t *data;
  size_t len, cap;
};
int jp_put(struct jp_buf *b, const char *key, const char *val);
int jp_putf(struct jp_buf *b, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void jp_buf_free(struct jp_buf *b);

/* ---- values ---- */

/* Strict decimal: optional '-' (signed only), digits, no spaces, no overflow. 0 on success, -1 otherwise. */
int jp_parse_u64(const char *s, uint64_t *out);
int jp_parse_i64(const char *s, int64_t *out);
/* `0` or `1`. */
int jp_parse_bool(const char *s, int *out);
/* Hex digits (no prefix, even count) into at most `cap` bytes; returns the byte count or -1. */
long jp_parse_hex(const char *s, uint8_t *out, size_t cap);
/*
 * Splits a value in place at TABs into at most `max` fields; returns the
 * number of fields, or -1 when there are more than `max`.
 */
int jp_split_fields(char *val, char **fields, int max);
/* An IPv4 or IPv6 address with an optional /prefix; family is 4 or 6; prefix -1 when absent. 0 or -1. */
int jp_parse_cidr(const char *s, int *family, uint8_t addr[16], int *prefix);
/* aa:bb:cc:dd:ee:ff (any case). 0 or -1. */
int jp_parse_mac(const char *s, uint8_t mac[6]);

/* ---- messages ---- */

struct jp_iface {
  char *name;
  uint8_t mac[6];
  int has_addr, family, prefix;
  uint8_t addr[16];
  unsigned mtu; /* 0: leave as is */
};

struct jp_route {
  int family, prefix;
  uint8_t dst[16];
  int has_gw;
  uint8_t gw[16];
};

enum jp_mount_kind { JP_MOUNT_9P = 1, JP_MOUNT_TMPFS = 2 };

struct jp_mount {
  int kind;
  char *tag;     /* 9p: the share's mount tag */
  char *subpath; /* 9p: relative path inside the share, "." for all of it */
  char *dest;    /* absolute path inside the workload's root */
  char *options; /* tmpfs: mount options as given */
  int ro;        /* 9p: ro */
};

struct jp_sysctl {
  char *key, *value;
};

struct jp_config {
  char *storage; /* one copy of the payload; every string below points into it */
  char *hostname;
  struct jp_iface *ifaces;
  int n_ifaces;
  struct jp_route *routes;
  int n_routes;
  char *disk_dev, *disk_fs;
  struct jp_mount *mounts;
  int n_mounts;
  struct jp_sysctl *sysctls;
  int n_sysctls;
  int has_now;
  int64_t now_ns;
};

struct jp_rlimit {
  int resource; /* RLIMIT_* */
  uint64_t soft, hard; /* UINT64_MAX: unlimited */
};

struct jp_start {
  char *storage;
  char **argv; /* NULL-terminated */
  int argc;
  char **envp; /* NULL-terminated */
  int envc;
  char *cwd;
  uint32_t uid, gid;
  uint32_t *groups;
  int n_groups;
  int tty, rows, cols, stdin_open, init, nonewprivs;
  int has_caps;
  uint64_t caps;
  struct jp_rlimit *rlimits;
  int n_rlimits;
  char *root;        /* init=1: the workload's root, a directory inside the first workload's root (NULL: the disk) */
  uint32_t workload; /* an exec: the channel of the workload to join (0: the first workload) */
  char *hostname;    /* a rooted workload: its own UTS namespace with this hostname (NULL: the VM's) */
};

struct jp_signal {
  int signal, all;
};

struct jp_resize {
  int rows, cols;
};

struct jp_sync {
  int has_now;
  int64_t now_ns;
  uint8_t seed[512];
  int seed_len;
};

/*
 * Parsers of host messages. Each returns 0 with *out filled (free it with
 * the matching _free, also safe on a zeroed struct), or -1 with a message
 * in err (the struct is then freed and zeroed). -1 means the records were
 * well-formed but their values are not acceptable (an ERROR kind=invalid
 * reply), or the records were malformed (check jp_records_valid first to
 * tell a protocol error apart).
 */
int jp_parse_config(const uint8_t *payload, size_t n, struct jp_config *out, char *err, size_t errlen);
void jp_config_free(struct jp_config *c);
int jp_parse_start(const uint8_t *payload, size_t n, struct jp_start *out, char *err, size_t errlen);
void jp_start_free(struct jp_start *s);
int jp_parse_signal(const uint8_t *payload, size_t n, struct jp_signal *out, char *err, size_t errlen);
int jp_parse_resize(const uint8_t *payload, size_t n, struct jp_resize *out, char *err, size_t errlen);
int jp_parse_sync(const uint8_t *payload, size_t n, struct jp_sync *out, char *err, size_t errlen);
/* The `version` of a host HELLO, or -1 when absent or not a number. */
long jp_hello_version(const uint8_t *payload, size_t n);

/* RLIMIT_* for a lowercase name without the prefix (`nofile`), or -1. */
int jp_rlimit_resource(const char *name);

#endif
