/*
 * libFuzzer harness for agent/protocol.c: whatever the bytes, the parsers
 * must not crash, leak or read out of bounds (built with
 * -fsanitize=fuzzer,address,undefined by agent/protocol.test.ts).
 *
 * Each input is used three ways:
 *   1. as a byte stream from the host, cut into chunks whose sizes come from
 *      the input itself, through the same buffer logic as the agent's
 *      process_input(); every complete frame's payload goes through every
 *      message parser;
 *   2. as one records payload, through every message parser;
 *   3. record by record: each parsed record is re-encoded with jp_put and
 *      parsed back to the same key and value, and each value goes through
 *      the field splitter and the value parsers.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static void all_parsers(const uint8_t *p, size_t n) {
  char err[256];
  int valid = jp_records_valid(p, n);
  struct jp_config c;
  int rc = jp_parse_config(p, n, &c, err, sizeof err);
  if (rc == 0 && !valid) __builtin_trap(); /* a malformed payload must never parse */
  jp_config_free(&c);
  struct jp_start s;
  rc = jp_parse_start(p, n, &s, err, sizeof err);
  if (rc == 0) {
    if (!valid || s.argc < 1 || s.argv[s.argc] != NULL || s.envp[s.envc] != NULL) __builtin_trap();
    for (int i = 0; i < s.argc; i++) (void)strlen(s.argv[i]);
    for (int i = 0; i < s.envc; i++) (void)strlen(s.envp[i]);
  }
  jp_start_free(&s);
  struct jp_signal sg;
  if (jp_parse_signal(p, n, &sg, err, sizeof err) == 0 && (sg.signal < 1 || sg.signal > 64)) __builtin_trap();
  struct jp_resize rs;
  if (jp_parse_resize(p, n, &rs, err, sizeof err) == 0 && (rs.rows > 65535 || rs.cols > 65535)) __builtin_trap();
  struct jp_sync sy;
  if (jp_parse_sync(p, n, &sy, err, sizeof err) == 0 && (sy.seed_len < 0 || sy.seed_len > 512)) __builtin_trap();
  (void)jp_hello_version(p, n);
}

static void stream(const uint8_t *data, size_t size) {
  /* a small input buffer, so that frames longer than it exercise the bound */
  static uint8_t buf[JP_HEADER + 4096];
  size_t len = 0, pos = 0;
  unsigned step = 0;
  while (pos < size) {
    size_t chunk = 1 + (data[step++ % size] % 64);
    if (chunk > size - pos) chunk = size - pos;
    if (chunk > sizeof buf - len) chunk = sizeof buf - len;
    if (chunk == 0) return; /* full with an incomplete frame: the agent's buffer is large enough for any frame */
    memcpy(buf + len, data + pos, chunk);
    len += chunk;
    pos += chunk;
    size_t off = 0;
    for (;;) {
      struct jp_frame f;
      size_t used = 0;
      int r = jp_frame_parse(buf + off, len - off, &f, &used);
      if (r == JP_FRAME_MORE) break;
      if (r != JP_FRAME_OK) return; /* protocol error: the connection's input is dropped */
      if (used < JP_HEADER || used > len - off || f.len != used - JP_HEADER || !jp_type_known(f.type))
        __builtin_trap();
      all_parsers(f.payload, f.len);
      off += used;
    }
    memmove(buf, buf + off, len - off);
    len -= off;
  }
}

static void records(const uint8_t *data, size_t size) {
  size_t off = 0;
  struct jp_record r;
  while (jp_record_next(data, size, &off, &r) == 1) {
    if (r.key_len == 0 || r.val[r.val_len] != 0 || (const uint8_t *)r.val + r.val_len >= data + size) __builtin_trap();
    char key[64];
    if (r.key_len < sizeof key) {
      memcpy(key, r.key, r.key_len);
      key[r.key_len] = 0;
      struct jp_buf b = {0};
      if (jp_put(&b, key, r.val) == 0) {
        size_t o2 = 0;
        struct jp_record back;
        if (jp_record_next(b.data, b.len, &o2, &back) != 1 || o2 != b.len || back.key_len != r.key_len ||
            memcmp(back.key, r.key, r.key_len) != 0 || strcmp(back.val, r.val) != 0)
          __builtin_trap();
      }
      jp_buf_free(&b);
    }
    char *v = strdup(r.val);
    if (!v) return;
    uint64_t u;
    int64_t i;
    int bo, fam, pfx;
    uint8_t a[16], mac[6], hex[64];
    (void)jp_parse_u64(v, &u);
    (void)jp_parse_i64(v, &i);
    (void)jp_parse_bool(v, &bo);
    (void)jp_parse_hex(v, hex, sizeof hex);
    (void)jp_parse_cidr(v, &fam, a, &pfx);
    (void)jp_parse_mac(v, mac);
    (void)jp_rlimit_resource(v);
    char *fields[5];
    int nf = jp_split_fields(v, fields, 5);
    if (nf > 5) __builtin_trap();
    for (int k = 0; k < nf; k++) (void)jp_parse_cidr(fields[k], &fam, a, &pfx);
    free(v);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  stream(data, size);
  all_parsers(data, size);
  records(data, size);
  return 0;
}
