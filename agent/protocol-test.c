/*
 * Unit test of agent/protocol.c on known frames and records
 * (docs/agent-protocol.md). Prints one line per failed check and a closing
 * "N passed, N failed" line; exits 1 when any check failed.
 * Built and run by agent/protocol.test.ts.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "protocol.h"

static int passed, failed;

#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    if (cond) passed++;                                                                                                \
    else {                                                                                                             \
      failed++;                                                                                                        \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                                           \
    }                                                                                                                  \
  } while (0)

/* records from a literal with embedded NULs: R("a=1\0b=2\0") */
#define R(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static void test_frames(void) {
  uint8_t hdr[JP_HEADER];
  jp_frame_header(hdr, JP_ACK, 0x01020304, 0);
  const uint8_t want[] = {0, 0, 0, 5, 8, 1, 2, 3, 4};
  CHECK(memcmp(hdr, want, sizeof want) == 0);

  const uint8_t wire[] = {0, 0, 0, 11, 11, 0, 0, 0, 7, 'h', 'e', 'l', 'l', 'o', '\n', 0, 0, 0, 5, 9, 0, 0, 0, 0};
  struct jp_frame f;
  size_t used = 0;
  for (size_t n = 0; n < 15; n++) CHECK(jp_frame_parse(wire, n, &f, &used) == JP_FRAME_MORE);
  CHECK(jp_frame_parse(wire, sizeof wire, &f, &used) == JP_FRAME_OK);
  CHECK(used == 15 && f.type == JP_STDOUT && f.channel == 7 && f.len == 6 && memcmp(f.payload, "hello\n", 6) == 0);
  CHECK(jp_frame_parse(wire + used, sizeof wire - used, &f, &used) == JP_FRAME_OK);
  CHECK(used == 9 && f.type == JP_SHUTDOWN && f.channel == 0 && f.len == 0);

  const uint8_t short_len[] = {0, 0, 0, 4, 1};
  CHECK(jp_frame_parse(short_len, 4, &f, &used) == JP_FRAME_BADLEN);
  const uint8_t huge[] = {0x7f, 0, 0, 0};
  CHECK(jp_frame_parse(huge, 4, &f, &used) == JP_FRAME_BADLEN);
  uint8_t max[JP_HEADER];
  jp_frame_header(max, JP_STDIN, 1, JP_MAX_PAYLOAD);
  CHECK(jp_frame_parse(max, sizeof max, &f, &used) == JP_FRAME_MORE);
  max[3]++; /* one above the bound */
  CHECK(jp_frame_parse(max, sizeof max, &f, &used) == JP_FRAME_BADLEN);
  const uint8_t unknown[] = {0, 0, 0, 5, 99, 0, 0, 0, 0};
  CHECK(jp_frame_parse(unknown, sizeof unknown, &f, &used) == JP_FRAME_BADTYPE);
  const uint8_t zero_type[] = {0, 0, 0, 5, 0};
  CHECK(jp_frame_parse(zero_type, sizeof zero_type, &f, &used) == JP_FRAME_BADTYPE);
  CHECK(jp_type_known(16) && jp_type_known(JP_QUIESCE) && jp_type_known(JP_THAW) && !jp_type_known(19) && !jp_type_known(0));
}

static void test_records(void) {
  const char p[] = "arg=sh\0arg=-c\0arg=a=b\tc\0env=PATH=/bin\0tty=1\0x_2=\0";
  size_t off = 0;
  struct jp_record r;
  const char *keys[] = {"arg", "arg", "arg", "env", "tty", "x_2"};
  const char *vals[] = {"sh", "-c", "a=b\tc", "PATH=/bin", "1", ""};
  for (int i = 0; i < 6; i++) {
    CHECK(jp_record_next((const uint8_t *)p, sizeof p - 1, &off, &r) == 1);
    CHECK(jp_key_is(&r, keys[i]) && strcmp(r.val, vals[i]) == 0 && r.val_len == strlen(vals[i]));
  }
  CHECK(jp_record_next((const uint8_t *)p, sizeof p - 1, &off, &r) == 0);
  CHECK(jp_records_valid(R("")));
  CHECK(!jp_records_valid(R("version=1")));     /* no NUL */
  CHECK(!jp_records_valid(R("version\0")));     /* no = */
  CHECK(!jp_records_valid(R("=1\0")));          /* empty key */
  CHECK(!jp_records_valid(R("Version=1\0")));   /* uppercase */
  CHECK(!jp_records_valid(R("1abc=1\0")));      /* digit first */
  CHECK(!jp_records_valid(R("a-b=1\0")));       /* dash */
  CHECK(!jp_records_valid(R("a=1\0\0")));       /* empty record */
  CHECK(jp_records_valid(R("a=\xff\xfe\0")));   /* values are bytes */

  struct jp_buf b = {0};
  CHECK(jp_put(&b, "kind", "notfound") == 0);
  CHECK(jp_putf(&b, "code", "%d", 127) == 0);
  CHECK(jp_put(&b, "Bad", "x") == -1 && jp_put(&b, "", "x") == -1);
  CHECK(b.len == sizeof "kind=notfound\0code=127\0" - 1 && memcmp(b.data, "kind=notfound\0code=127\0", b.len) == 0);
  char big[5000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  CHECK(jp_putf(&b, "message", "%s", big) == 0 && b.len == 23 + 8 + 4999 + 1);
  jp_buf_free(&b);
  CHECK(b.data == NULL && b.len == 0);
}

static void test_values(void) {
  uint64_t u;
  int64_t i;
  int bo;
  CHECK(jp_parse_u64("18446744073709551615", &u) == 0 && u == UINT64_MAX);
  CHECK(jp_parse_u64("18446744073709551616", &u) == -1);
  CHECK(jp_parse_u64("", &u) == -1 && jp_parse_u64("1 ", &u) == -1 && jp_parse_u64("-1", &u) == -1 &&
        jp_parse_u64("+1", &u) == -1);
  CHECK(jp_parse_i64("-9223372036854775808", &i) == 0 && i == INT64_MIN);
  CHECK(jp_parse_i64("9223372036854775808", &i) == -1 && jp_parse_i64("-", &i) == -1);
  CHECK(jp_parse_bool("1", &bo) == 0 && bo == 1 && jp_parse_bool("0", &bo) == 0 && bo == 0);
  CHECK(jp_parse_bool("true", &bo) == -1 && jp_parse_bool("", &bo) == -1);
  uint8_t h[4];
  CHECK(jp_parse_hex("00fFa0", h, sizeof h) == 3 && h[0] == 0 && h[1] == 0xff && h[2] == 0xa0);
  CHECK(jp_parse_hex("abc", h, sizeof h) == -1 && jp_parse_hex("0102030405", h, sizeof h) == -1 &&
        jp_parse_hex("zz", h, sizeof h) == -1);
  char v[] = "eth0\t02:42:ac:11:00:02\t172.17.0.2/16\t1500";
  char *f[4];
  CHECK(jp_split_fields(v, f, 4) == 4 && strcmp(f[0], "eth0") == 0 && strcmp(f[3], "1500") == 0);
  char v2[] = "a\tb\tc";
  CHECK(jp_split_fields(v2, f, 2) == -1);
  int fam, pfx;
  uint8_t a[16];
  CHECK(jp_parse_cidr("10.88.0.2/24", &fam, a, &pfx) == 0 && fam == 4 && pfx == 24 && a[0] == 10 && a[3] == 2);
  CHECK(jp_parse_cidr("fd00::1/64", &fam, a, &pfx) == 0 && fam == 6 && pfx == 64 && a[0] == 0xfd && a[15] == 1);
  CHECK(jp_parse_cidr("10.0.0.1", &fam, a, &pfx) == 0 && pfx == -1);
  CHECK(jp_parse_cidr("10.0.0.1/33", &fam, a, &pfx) == -1 && jp_parse_cidr("fd00::1/129", &fam, a, &pfx) == -1);
  CHECK(jp_parse_cidr("10.0.0/8", &fam, a, &pfx) == -1 && jp_parse_cidr("", &fam, a, &pfx) == -1 &&
        jp_parse_cidr("/8", &fam, a, &pfx) == -1);
  uint8_t mac[6];
  CHECK(jp_parse_mac("02:42:AC:11:00:0f", mac) == 0 && mac[0] == 2 && mac[2] == 0xac && mac[5] == 0x0f);
  CHECK(jp_parse_mac("02:42:ac:11:00", mac) == -1 && jp_parse_mac("02-42-ac-11-00-02", mac) == -1);
  CHECK(jp_rlimit_resource("nofile") == RLIMIT_NOFILE && jp_rlimit_resource("NOFILE") == -1);
}

static void test_config(void) {
  char err[256];
  struct jp_config c;
  int r = jp_parse_config(R("hostname=web\0"
                            "iface=eth0\t02:42:ac:11:00:02\t172.17.0.2/16\t1500\0"
                            "route=0.0.0.0/0\t172.17.0.1\0"
                            "disk=/dev/vda\text4\0"
                            "mount=9p\tj0\tvolumes/data\t/data\trw\0"
                            "mount=9p\tj1\t.\t/etc/hosts\tro\0"
                            "mount=tmpfs\t/run\tsize=65536k,mode=1777\0"
                            "route=10.1.2.3\t\0"
                            "sysctl=net.ipv4.ip_unprivileged_port_start\t0\0"
                            "sysctl=net/core/somaxconn\t1024\0"
                            "now=1764900000000000000\0"
                            "future=ignored\0"),
                          &c, err, sizeof err);
  CHECK(r == 0);
  if (r == 0) {
    CHECK(strcmp(c.hostname, "web") == 0);
    CHECK(c.n_ifaces == 1 && strcmp(c.ifaces[0].name, "eth0") == 0 && c.ifaces[0].mac[5] == 2 &&
          c.ifaces[0].has_addr && c.ifaces[0].family == 4 && c.ifaces[0].prefix == 16 && c.ifaces[0].mtu == 1500);
    CHECK(c.n_routes == 2 && c.routes[0].prefix == 0 && c.routes[0].has_gw && c.routes[0].gw[3] == 1);
    CHECK(c.routes[1].prefix == 32 && !c.routes[1].has_gw && c.routes[1].dst[3] == 3);
    CHECK(strcmp(c.disk_dev, "/dev/vda") == 0 && strcmp(c.disk_fs, "ext4") == 0);
    CHECK(c.n_mounts == 3 && c.mounts[0].kind == JP_MOUNT_9P && strcmp(c.mounts[0].tag, "j0") == 0 &&
          strcmp(c.mounts[0].subpath, "volumes/data") == 0 && strcmp(c.mounts[0].dest, "/data") == 0 &&
          !c.mounts[0].ro);
    CHECK(c.mounts[1].ro && strcmp(c.mounts[1].subpath, ".") == 0);
    CHECK(c.mounts[2].kind == JP_MOUNT_TMPFS && strcmp(c.mounts[2].dest, "/run") == 0 &&
          strcmp(c.mounts[2].options, "size=65536k,mode=1777") == 0);
    CHECK(c.n_sysctls == 2 && strcmp(c.sysctls[0].value, "0") == 0 && strcmp(c.sysctls[1].key, "net/core/somaxconn") == 0);
    CHECK(c.has_now && c.now_ns == 1764900000000000000LL);
  }
  jp_config_free(&c);
  CHECK(jp_parse_config(R(""), &c, err, sizeof err) == 0 && !c.hostname && !c.disk_dev);
  jp_config_free(&c);
  const struct {
    const uint8_t *p;
    size_t n;
  } bad[] = {
      {R("iface=eth0\t02:42:ac:11:00:02\t172.17.0.2/16\0")},
      {R("iface=eth0/x\t02:42:ac:11:00:02\t172.17.0.2/16\t1500\0")},
      {R("iface=eth0\t02:42:ac:11:00\t172.17.0.2/16\t1500\0")},
      {R("iface=eth0\t02:42:ac:11:00:02\t172.17.0.2\t1500\0")},
      {R("iface=eth0\t02:42:ac:11:00:02\t172.17.0.2/16\t20\0")},
      {R("route=0.0.0.0/0\tfd00::1\0")},
      {R("route=10.0.0.0/40\t10.0.0.1\0")},
      {R("disk=vda\text4\0")},
      {R("mount=9p\tj0\t../x\t/data\trw\0")},
      {R("mount=9p\tj0\tx\tdata\trw\0")},
      {R("mount=9p\tj0\tx\t/data\trwx\0")},
      {R("mount=nfs\t/x\0")},
      {R("mount=tmpfs\t/x\0")},
      {R("sysctl=../../etc\t1\0")},
      {R("sysctl=/etc\t1\0")},
      {R("sysctl=net/./x\t1\0")},
      {R("now=-1\0")},
      {R("hostname=\0")},
      {R("hostname=x")},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    int rr = jp_parse_config(bad[k].p, bad[k].n, &c, err, sizeof err);
    CHECK(rr == -1 && c.storage == NULL);
    if (rr == 0) printf("  accepted: %s\n", (const char *)bad[k].p);
  }
}

static void test_start(void) {
  char err[256];
  struct jp_start s;
  int r = jp_parse_start(R("arg=sh\0arg=-c\0arg=echo $X\0env=PATH=/usr/bin:/bin\0env=X=1\0cwd=/work\0"
                           "uid=1000\0gid=1000\0groups=10,20\0tty=1\0rows=40\0cols=120\0stdin=1\0init=1\0"
                           "caps=a80425fb\0rlimit=nofile\t1024\t-1\0rlimit=core\t18446744073709551615\t18446744073709551615\0"
                           "nonewprivs=1\0"),
                         &s, err, sizeof err);
  CHECK(r == 0);
  if (r == 0) {
    CHECK(s.argc == 3 && strcmp(s.argv[2], "echo $X") == 0 && s.argv[3] == NULL);
    CHECK(s.envc == 2 && strcmp(s.envp[1], "X=1") == 0 && s.envp[2] == NULL);
    CHECK(strcmp(s.cwd, "/work") == 0 && s.uid == 1000 && s.gid == 1000);
    CHECK(s.n_groups == 2 && s.groups[0] == 10 && s.groups[1] == 20);
    CHECK(s.tty && s.rows == 40 && s.cols == 120 && s.stdin_open && s.init && s.nonewprivs);
    CHECK(s.has_caps && s.caps == 0xa80425fbull);
    CHECK(s.n_rlimits == 2 && s.rlimits[0].resource == RLIMIT_NOFILE && s.rlimits[0].soft == 1024 &&
          s.rlimits[0].hard == UINT64_MAX);
    CHECK(s.rlimits[1].resource == RLIMIT_CORE && s.rlimits[1].soft == UINT64_MAX && s.rlimits[1].hard == UINT64_MAX);
  }
  jp_start_free(&s);
  CHECK(jp_parse_start(R("arg=true\0"), &s, err, sizeof err) == 0 && strcmp(s.cwd, "/") == 0 && !s.init &&
        !s.has_caps && s.envc == 0 && s.envp[0] == NULL && s.root == NULL && s.workload == 0);
  jp_start_free(&s);
  /* several workloads: a rooted one (init=1 root=), an exec naming its workload */
  CHECK(jp_parse_start(R("arg=sh\0init=1\0root=/janus-stack/abc/rootfs\0hostname=web\0"), &s, err, sizeof err) == 0 &&
        s.init && s.root && strcmp(s.root, "/janus-stack/abc/rootfs") == 0 && s.hostname && strcmp(s.hostname, "web") == 0);
  jp_start_free(&s);
  CHECK(jp_parse_start(R("arg=sh\0workload=7\0"), &s, err, sizeof err) == 0 && s.workload == 7 && !s.init);
  jp_start_free(&s);
  const struct {
    const uint8_t *p;
    size_t n;
  } bad[] = {
      {R("")},
      {R("arg=\0")},
      {R("env=X=1\0")},
      {R("arg=x\0cwd=relative\0")},
      {R("arg=x\0uid=-1\0")},
      {R("arg=x\0uid=4294967295\0")},
      {R("arg=x\0groups=1,,2\0")},
      {R("arg=x\0tty=yes\0")},
      {R("arg=x\0rows=65536\0")},
      {R("arg=x\0caps=0x1\0")},
      {R("arg=x\0caps=11111111111111111\0")},
      {R("arg=x\0rlimit=bogus\t1\t1\0")},
      {R("arg=x\0rlimit=nofile\t2\t1\0")},
      {R("arg=x\0rlimit=nofile\t1\0")},
      {R("arg=x\0rlimit=nofile\t-2\t1\0")},
      {R("arg=x\0rlimit=nofile\t1\t18446744073709551616\0")},
      {R("arg=x\0env=\0")},
      {R("arg=x\0root=relative\0")},
      {R("arg=x\0root=/\0")},
      {R("arg=x\0root=/a/../b\0")},
      {R("arg=x\0root=/a/..\0")},
      {R("arg=x\0workload=0\0")},
      {R("arg=x\0hostname=\0")},
      {R("arg=x\0workload=4294967296\0")},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    int rr = jp_parse_start(bad[k].p, bad[k].n, &s, err, sizeof err);
    CHECK(rr == -1 && s.storage == NULL);
    if (rr == 0) printf("  accepted: %s\n", (const char *)bad[k].p);
  }
}

static void test_small_messages(void) {
  char err[256];
  struct jp_signal sg;
  CHECK(jp_parse_signal(R("signal=15\0all=1\0"), &sg, err, sizeof err) == 0 && sg.signal == 15 && sg.all);
  CHECK(jp_parse_signal(R("signal=0\0"), &sg, err, sizeof err) == -1);
  CHECK(jp_parse_signal(R("signal=65\0"), &sg, err, sizeof err) == -1);
  CHECK(jp_parse_signal(R("all=1\0"), &sg, err, sizeof err) == -1);
  struct jp_resize rs;
  CHECK(jp_parse_resize(R("rows=24\0cols=80\0"), &rs, err, sizeof err) == 0 && rs.rows == 24 && rs.cols == 80);
  CHECK(jp_parse_resize(R("rows=24\0"), &rs, err, sizeof err) == -1);
  struct jp_sync sy;
  CHECK(jp_parse_sync(R("now=5\0seed=00ff\0"), &sy, err, sizeof err) == 0 && sy.has_now && sy.now_ns == 5 &&
        sy.seed_len == 2 && sy.seed[1] == 0xff);
  CHECK(jp_parse_sync(R("seed=0\0"), &sy, err, sizeof err) == -1);
  CHECK(jp_hello_version(R("version=1\0")) == 1);
  CHECK(jp_hello_version(R("version=x\0")) == -1 && jp_hello_version(R("")) == -1);
}

int main(void) {
  test_frames();
  test_records();
  test_values();
  test_config();
  test_start();
  test_small_messages();
  printf("protocol: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
