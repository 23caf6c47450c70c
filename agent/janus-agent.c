/*
 * janus-agent: PID 1 of every Janus microVM.
 *
 * Started by the kernel as /init from the initramfs Janus builds:
 *   /init                  this program (static)
 *   /lib/modules/NAME.ko   kernel modules, loaded in the order of
 *   /etc/janus/modules     (one file name a line, dependencies first)
 *
 * It mounts /proc, /sys and /dev, loads the modules (virtio_mmio gets the
 * virtio_mmio.device= values of the kernel command line, which the kernel
 * does not hand to a module loaded later), finds the virtio-serial port
 * named org.janus.agent.0 and serves docs/agent-protocol.md on it in one
 * poll(2) loop: it configures the guest (CONFIG), runs the workload in its
 * own mount and PID namespaces chrooted into the root disk (START init=1),
 * runs execs inside it, relays stdio, signals and terminal sizes, reports
 * exits and stats, and powers the VM off (reboot(2) with QEMU's -no-reboot)
 * once the workload's exit is acknowledged or on SHUTDOWN.
 *
 * As PID 1 it reaps every child, never exits, and treats all input as
 * untrusted: frames are bounded, parsing is in protocol.c (fuzzed), and a
 * protocol error drops the connection's input until the host reconnects.
 *
 * The kernel command line option janus.debug=1 makes it verbose on the
 * console (ttyS0).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/random.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

#define AGENT_NAME "janus-agent 1.0"
#define ROOT "/run/janus/root"
#define SHARES "/run/janus/9p"
#define CGROUP "/sys/fs/cgroup"
#define WORKLOAD_CGROUP CGROUP "/workload"

#define MAX_PROCS 256
#define OUT_LIMIT (4u << 20)   /* queued output above which the workload's pipes are not read */
#define STDIN_LIMIT (4u << 20) /* buffered stdin above which the port is not read */
#define READ_CHUNK 65536

extern char **environ;

static int debug;
static struct timespec boot_mono;

/* ---------------------------------------------------------------- logging */

static void queue_log(const char *level, const char *msg);

/* level: 0 debug (console only, with janus.debug=1), 1 info, 2 warn, 3 error. */
__attribute__((format(printf, 2, 3))) static void logmsg(int level, const char *fmt, ...) {
  if (level == 0 && !debug) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double t = (double)(now.tv_sec - boot_mono.tv_sec) + (double)(now.tv_nsec - boot_mono.tv_nsec) / 1e9;
  static const char *names[] = {"debug", "info", "warn", "error"};
  dprintf(2, "janus-agent[%.3f] %s: %s\n", t, names[level], msg);
  if (level >= 1) queue_log(names[level], msg);
}

#define DBG(...) logmsg(0, __VA_ARGS__)
#define INFO(...) logmsg(1, __VA_ARGS__)
#define WARN(...) logmsg(2, __VA_ARGS__)
#define ERR(...) logmsg(3, __VA_ARGS__)

/* ---------------------------------------------------------------- small helpers */

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = write_all(fd, text, strlen(text));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* Reads at most cap-1 bytes of a file, NUL-terminated; returns the length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < cap - 1) {
    ssize_t n = read(fd, buf + got, cap - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  buf[got] = 0;
  return (ssize_t)got;
}

static int mkdir_p(const char *path, mode_t mode) {
  char tmp[PATH_MAX];
  size_t l = strlen(path);
  if (l == 0 || l >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(tmp, path, l + 1);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static uint64_t uptime_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_BOOTTIME, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- output queue */

struct oframe {
  struct oframe *next;
  size_t len, off;
  uint32_t channel;
  uint8_t type;
  uint8_t data[];
};

static struct oframe *oq_head, *oq_tail;
static size_t oq_bytes;

static struct oframe *frame_new(uint8_t type, uint32_t channel, const void *payload, size_t len) {
  if (len > JP_MAX_PAYLOAD) len = JP_MAX_PAYLOAD;
  struct oframe *f = malloc(sizeof *f + JP_HEADER + len);
  if (!f) return NULL;
  f->next = NULL;
  f->len = JP_HEADER + len;
  f->off = 0;
  f->channel = channel;
  f->type = type;
  jp_frame_header(f->data, type, channel, len);
  if (len) memcpy(f->data + JP_HEADER, payload, len);
  return f;
}

/* Appends a frame to the output queue. */
static void send_frame(uint8_t type, uint32_t channel, const void *payload, size_t len) {
  struct oframe *f = frame_new(type, channel, payload, len);
  if (!f) return;
  if (oq_tail) oq_tail->next = f;
  else oq_head = f;
  oq_tail = f;
  oq_bytes += f->len;
  DBG("queue type=%u channel=%u len=%zu", type, channel, len);
}

/* Puts a frame as early as possible: first, or second when the first is half written. */
static struct oframe *send_frame_early(struct oframe *after, uint8_t type, uint32_t channel, const void *payload,
                                       size_t len) {
  struct oframe *f = frame_new(type, channel, payload, len);
  if (!f) return after;
  if (!after && oq_head && oq_head->off > 0) after = oq_head;
  if (after) {
    f->next = after->next;
    after->next = f;
    if (oq_tail == after) oq_tail = f;
  } else {
    f->next = oq_head;
    oq_head = f;
    if (!oq_tail) oq_tail = f;
  }
  oq_bytes += f->len;
  return f;
}

static void send_records(uint8_t type, uint32_t channel, struct jp_buf *b) {
  send_frame(type, channel, b->data, b->len);
  jp_buf_free(b);
}

static void send_error(uint32_t channel, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_error(uint32_t channel, const char *kind, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct jp_buf b = {0};
  jp_put(&b, "kind", kind);
  jp_put(&b, "message", msg);
  DBG("ERROR channel=%u kind=%s: %s", channel, kind, msg);
  send_records(JP_ERROR, channel, &b);
}

static void queue_log(const char *level, const char *msg) {
  if (oq_bytes > OUT_LIMIT) return;
  struct jp_buf b = {0};
  jp_put(&b, "level", level);
  jp_put(&b, "message", msg);
  send_records(JP_LOG, 0, &b);
}

/* ---------------------------------------------------------------- processes */

enum { EXIT_NONE, EXIT_QUEUED, EXIT_SENT };

struct proc {
  int used;
  uint32_t channel;
  pid_t pid;
  int init, tty;
  int out_fd, err_fd, in_fd; /* -1 when closed; with a tty out_fd and in_fd are the master */
  uint8_t *in_buf;
  size_t in_len, in_off;
  int in_eof; /* close stdin once in_buf is written */
  int exited, status;
  int exit_state;
  uint64_t oom_start;
  int rooted;    /* init=1 with root=: one of several workloads, each in its own namespaces */
  int pidns_fd;  /* a rooted workload's PID namespace (-1 otherwise) */
};

static struct proc procs[MAX_PROCS];
static size_t stdin_bytes;

static struct proc *proc_by_channel(uint32_t ch) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].channel == ch) return &procs[i];
  return NULL;
}

static struct proc *proc_by_pid(pid_t pid) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].pid == pid && !procs[i].exited) return &procs[i];
  return NULL;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void proc_close_stdin(struct proc *p) {
  close_fd(&p->in_fd);
  stdin_bytes -= p->in_len - p->in_off;
  free(p->in_buf);
  p->in_buf = NULL;
  p->in_len = p->in_off = 0;
  p->in_eof = 0;
}

static void proc_free(struct proc *p) {
  if (p->rooted) close_fd(&p->pidns_fd);
  close_fd(&p->out_fd);
  close_fd(&p->err_fd);
  proc_close_stdin(p);
  memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- global state */

static int port_fd = -1;
static char port_path[64];
static int connected;   /* the host is connected (no POLLHUP) */
static int hello_seen;  /* the host sent HELLO on this connection: output may flow */
static int broken;      /* protocol error: input ignored until the host reconnects */
static uint8_t *inbuf;  /* JP_HEADER + JP_MAX_PAYLOAD */
static size_t inlen;
static int configured;
static int disk_mounted;
static int workload_started;
static pid_t workload_pid;
static int workload_running;
static int workload_pidns = -1;
static int self_pidns = -1;
static int cgroup_ok;
static int cgroup_procs_fd = -1;
static int cap_last = 40;

/* ---------------------------------------------------------------- OOM, stats */

static uint64_t oom_kills(void) {
  static char buf[32768];
  const char *key = "oom_kill ";
  /* the workload's cgroup counts its own OOM kills; /proc/vmstat counts the guest's */
  if (!(cgroup_ok && read_file(WORKLOAD_CGROUP "/memory.events", buf, sizeof buf) >= 0) &&
      read_file("/proc/vmstat", buf, sizeof buf) < 0)
    return 0;
  for (char *line = buf; line && *line;) {
    if (strncmp(line, key, strlen(key)) == 0) return strtoull(line + strlen(key), NULL, 10);
    line = strchr(line, '\n');
    if (line) line++;
  }
  return 0;
}

static int workload_pids(pid_t *out, int max) {
  if (!cgroup_ok) {
    int n = 0;
    for (int i = 0; i < MAX_PROCS && n < max; i++)
      if (procs[i].used && !procs[i].exited) out[n++] = procs[i].pid;
    return n;
  }
  static char buf[65536];
  if (read_file(WORKLOAD_CGROUP "/cgroup.procs", buf, sizeof buf) < 0) return 0;
  int n = 0;
  for (char *p = buf; *p && n < max;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    if (v > 0) out[n++] = (pid_t)v;
    p = end;
    while (*p == '\n') p++;
  }
  return n;
}

static void handle_stats(void) {
  char buf[8192];
  uint64_t total = 0, avail = 0, busy = 0;
  if (read_file("/proc/meminfo", buf, sizeof buf) > 0) {
    char *p;
    if ((p = strstr(buf, "MemTotal:"))) total = strtoull(p + 9, NULL, 10) * 1024;
    if ((p = strstr(buf, "MemAvailable:"))) avail = strtoull(p + 13, NULL, 10) * 1024;
  }
  if (read_file("/proc/stat", buf, sizeof buf) > 0 && strncmp(buf, "cpu ", 4) == 0) {
    unsigned long long v[8] = {0};
    sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
           &v[7]);
    /* user nice system idle iowait irq softirq steal: busy is all but idle and iowait */
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  }
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0) hz = 100;
  static pid_t pids[65536];
  int npids = workload_running ? workload_pids(pids, 65536) : 0;
  struct jp_buf b = {0};
  jp_putf(&b, "mem_total", "%llu", (unsigned long long)total);
  jp_putf(&b, "mem_available", "%llu", (unsigned long long)avail);
  jp_putf(&b, "mem_used", "%llu", (unsigned long long)(total > avail ? total - avail : 0));
  jp_putf(&b, "cpu_ns", "%llu", (unsigned long long)busy * (1000000000ull / (unsigned long long)hz));
  jp_putf(&b, "pids", "%d", npids);
  send_records(JP_STATS, 0, &b);
}

/* ---------------------------------------------------------------- power off */

static void umount_under(const char *prefix) {
  char *buf = malloc(1 << 20);
  if (!buf) return;
  if (read_file("/proc/self/mounts", buf, 1 << 20) < 0) {
    free(buf);
    return;
  }
  /* collect mount points under prefix, then unmount deepest (last mounted) first */
  char *points[512];
  int n = 0;
  size_t pl = strlen(prefix);
  for (char *line = strtok(buf, "\n"); line && n < 512; line = strtok(NULL, "\n")) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    char *mp = sp + 1;
    char *sp2 = strchr(mp, ' ');
    if (!sp2) continue;
    *sp2 = 0;
    if (strncmp(mp, prefix, pl) == 0 && (mp[pl] == 0 || mp[pl] == '/')) points[n++] = mp;
  }
  for (int i = n - 1; i >= 0; i--)
    if (umount2(points[i], 0) < 0) umount2(points[i], MNT_DETACH);
  free(buf);
}

static _Noreturn void poweroff(const char *why) {
  INFO("powering off: %s", why);
  if (cgroup_ok) write_file(WORKLOAD_CGROUP "/cgroup.kill", "1");
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && !procs[i].exited) kill(procs[i].pid, SIGKILL);
  /* give killed processes a moment to go, so the root disk unmounts cleanly */
  for (int i = 0; i < 100; i++) {
    pid_t pids[4];
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (workload_pids(pids, 4) == 0) break;
    usleep(10000);
  }
  sync();
  umount_under(ROOT);
  umount_under(SHARES);
  sync();
  /* A triple fault, whatever reboot= says: with the default method (ACPI
     reset first) QEMU's microvm restarted the guest despite -no-reboot in 2 of
     3 boots that had virtio-9p and virtio-net devices; the triple fault ends
     QEMU every time. */
  write_file("/sys/kernel/reboot/type", "triple");
  reboot(RB_AUTOBOOT);
  ERR("reboot: %s", strerror(errno));
  _exit(1); /* PID 1 exiting panics the kernel; with panic=-1 that reboots too */
}

/* ---------------------------------------------------------------- network */

struct in6_ifreq_compat {
  struct in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

struct in6_rtmsg_compat {
  struct in6_addr dst, src, gateway;
  uint32_t type;
  uint16_t dst_len, src_len;
  uint32_t metric;
  unsigned long info;
  uint32_t flags;
  int ifindex;
};

static int if_set_flags(int sock, const char *name, short set, short clear) {
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) return -1;
  ifr.ifr_flags = (short)((ifr.ifr_flags | set) & ~clear);
  return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static int if_rename(int sock, const char *from, const char *to) {
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", from);
  snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", to);
  if_set_flags(sock, from, 0, IFF_UP);
  return ioctl(sock, SIOCSIFNAME, &ifr);
}

/* The one Ethernet interface of the guest, when there is exactly one. */
static int sole_ether(char name[IFNAMSIZ]) {
  DIR *d = opendir("/sys/class/net");
  struct dirent *e;
  int found = 0;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ) continue;
    char path[300], type[16];
    snprintf(path, sizeof path, "/sys/class/net/%s/type", e->d_name);
    if (read_file(path, type, sizeof type) > 0 && atoi(type) == 1) {
      if (found++) break;
      snprintf(name, IFNAMSIZ, "%s", e->d_name);
    }
  }
  if (d) closedir(d);
  return found == 1 ? 0 : -1;
}

/*
 * The name of the interface with this MAC, waiting up to 3 s for it to
 * appear. Returns 1 (and the interface) when no interface has the MAC but
 * the guest has exactly one Ethernet interface: a guest restored from a
 * template keeps the template's MAC, and the caller then sets the right one.
 */
static int if_by_mac(const uint8_t mac[6], char name[IFNAMSIZ]) {
  char want[18];
  snprintf(want, sizeof want, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  for (int tries = 0; tries < 300; tries++) {
    DIR *d = opendir("/sys/class/net");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ) continue;
      char path[300], addr[64];
      snprintf(path, sizeof path, "/sys/class/net/%s/address", e->d_name);
      if (read_file(path, addr, sizeof addr) >= 17 && strncasecmp(addr, want, 17) == 0) {
        snprintf(name, IFNAMSIZ, "%s", e->d_name);
        closedir(d);
        return 0;
      }
    }
    if (d) closedir(d);
    if (sole_ether(name) == 0) return 1;
    usleep(10000);
  }
  return -1;
}

static int prefix_mask4(int prefix, struct in_addr *mask) {
  mask->s_addr = prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
  return 0;
}

static int configure_iface(const struct jp_iface *i, char *err, size_t errlen) {
  char cur[IFNAMSIZ];
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return snprintf(err, errlen, "socket: %s", strerror(errno)), -1;
  int rc = -1;
  int found = if_by_mac(i->mac, cur);
  if (found < 0) {
    snprintf(err, errlen, "no network interface has MAC %02x:%02x:%02x:%02x:%02x:%02x", i->mac[0], i->mac[1],
             i->mac[2], i->mac[3], i->mac[4], i->mac[5]);
    goto out;
  }
  if (found == 1) {
    struct ifreq hw;
    memset(&hw, 0, sizeof hw);
    snprintf(hw.ifr_name, IFNAMSIZ, "%s", cur);
    hw.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(hw.ifr_hwaddr.sa_data, i->mac, 6);
    if (ioctl(sock, SIOCSIFHWADDR, &hw) < 0) {
      snprintf(err, errlen, "setting the MAC of %s: %s", cur, strerror(errno));
      goto out;
    }
  }
  if (strcmp(cur, i->name) != 0) {
    if (if_nametoindex(i->name) != 0) {
      /* the name is taken by another interface: move that one aside */
      char aside[IFNAMSIZ];
      snprintf(aside, sizeof aside, "jx%u", if_nametoindex(i->name));
      if (if_rename(sock, i->name, aside) < 0) {
        snprintf(err, errlen, "renaming %s out of the way: %s", i->name, strerror(errno));
        goto out;
      }
    }
    if (if_rename(sock, cur, i->name) < 0) {
      snprintf(err, errlen, "renaming %s to %s: %s", cur, i->name, strerror(errno));
      goto out;
    }
  }
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", i->name);
  if (i->mtu) {
    ifr.ifr_mtu = (int)i->mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
      snprintf(err, errlen, "setting MTU %u on %s: %s", i->mtu, i->name, strerror(errno));
      goto out;
    }
  }
  if (i->has_addr && i->family == 4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    memset(&ifr.ifr_addr, 0, sizeof ifr.ifr_addr);
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, i->addr, 4);
    if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) {
      snprintf(err, errlen, "setting the address of %s: %s", i->name, strerror(errno));
      goto out;
    }
    memset(&ifr.ifr_netmask, 0, sizeof ifr.ifr_netmask);
    sin = (struct sockaddr_in *)&ifr.ifr_netmask;
    sin->sin_family = AF_INET;
    prefix_mask4(i->prefix, &sin->sin_addr);
    if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) {
      snprintf(err, errlen, "setting the netmask of %s: %s", i->name, strerror(errno));
      goto out;
    }
  }
  if (if_set_flags(sock, i->name, IFF_UP, 0) < 0) {
    snprintf(err, errlen, "bringing %s up: %s", i->name, strerror(errno));
    goto out;
  }
  if (i->has_addr && i->family == 6) {
    int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct in6_ifreq_compat r6 = {0};
    memcpy(&r6.addr, i->addr, 16);
    r6.prefixlen = (uint32_t)i->prefix;
    r6.ifindex = (int)if_nametoindex(i->name);
    int ok = s6 >= 0 && ioctl(s6, SIOCSIFADDR, &r6) == 0;
    int e = errno;
    if (s6 >= 0) close(s6);
    if (!ok) {
      snprintf(err, errlen, "setting the IPv6 address of %s: %s", i->name, strerror(e));
      goto out;
    }
  }
  rc = 0;
out:
  close(sock);
  return rc;
}

static int add_route(const struct jp_route *r, char *err, size_t errlen) {
  int ok, e;
  if (r->family == 4) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct rtentry rt = {0};
    struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst, *gw = (struct sockaddr_in *)&rt.rt_gateway,
                       *mask = (struct sockaddr_in *)&rt.rt_genmask;
    dst->sin_family = gw->sin_family = mask->sin_family = AF_INET;
    memcpy(&dst->sin_addr, r->dst, 4);
    prefix_mask4(r->prefix, &mask->sin_addr);
    rt.rt_flags = RTF_UP | (r->prefix == 32 ? RTF_HOST : 0);
    if (r->has_gw) {
      memcpy(&gw->sin_addr, r->gw, 4);
      rt.rt_flags |= RTF_GATEWAY;
    }
    ok = sock >= 0 && ioctl(sock, SIOCADDRT, &rt) == 0;
    e = errno;
    if (sock >= 0) close(sock);
  } else {
    int sock = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct in6_rtmsg_compat rt = {0};
    memcpy(&rt.dst, r->dst, 16);
    rt.dst_len = (uint16_t)r->prefix;
    rt.metric = 1;
    rt.flags = RTF_UP;
    if (r->has_gw) {
      memcpy(&rt.gateway, r->gw, 16);
      rt.flags |= RTF_GATEWAY;
    }
    ok = sock >= 0 && ioctl(sock, SIOCADDRT, &rt) == 0;
    e = errno;
    if (sock >= 0) close(sock);
  }
  if (!ok && e != EEXIST) {
    snprintf(err, errlen, "adding a route: %s", strerror(e));
    return -1;
  }
  return 0;
}

static void loopback_up(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || if_set_flags(sock, "lo", IFF_UP, 0) < 0) WARN("bringing lo up: %s", strerror(errno));
  if (sock >= 0) close(sock);
}

/* ---------------------------------------------------------------- mounts (CONFIG) */

/*
 * Creates `dest` (a directory, or an empty file when want_file) inside ROOT,
 * resolving symlinks as the workload would (inside a chroot, which is then
 * left again), and writes the resolved host-side path to out.
 */
static int prepare_dest(const char *dest, int want_file, char *out, size_t outlen, char *err, size_t errlen) {
  int saved = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (saved < 0) return snprintf(err, errlen, "open /: %s", strerror(errno)), -1;
  if (chroot(ROOT) < 0 || chdir("/") < 0) {
    snprintf(err, errlen, "chroot %s: %s", ROOT, strerror(errno));
    close(saved);
    return -1;
  }
  int rc = -1;
  char parent[PATH_MAX], resolved[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", dest);
  char *slash = strrchr(parent, '/');
  if (want_file) {
    if (slash == parent) parent[1] = 0;
    else *slash = 0;
    if (mkdir_p(parent, 0755) < 0) {
      snprintf(err, errlen, "creating %.256s: %s", parent, strerror(errno));
      goto back;
    }
    int fd = open(dest, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0 && errno != EISDIR) {
      snprintf(err, errlen, "creating %s: %s", dest, strerror(errno));
      goto back;
    }
    if (fd >= 0) close(fd);
  } else if (mkdir_p(dest, 0755) < 0) {
    snprintf(err, errlen, "creating %s: %s", dest, strerror(errno));
    goto back;
  }
  if (!realpath(dest, resolved)) {
    snprintf(err, errlen, "resolving %s: %s", dest, strerror(errno));
    goto back;
  }
  if (snprintf(out, outlen, "%s%s", ROOT, strcmp(resolved, "/") == 0 ? "" : resolved) >= (int)outlen) {
    snprintf(err, errlen, "%.256s: path too long", dest);
    goto back;
  }
  rc = 0;
back:
  if (fchdir(saved) < 0 || chroot(".") < 0 || chdir("/") < 0) {
    /* cannot happen with CAP_SYS_CHROOT; if it did, the agent would be stuck in the disk */
    ERR("leaving the root chroot: %s", strerror(errno));
  }
  close(saved);
  return rc;
}

static int wait_for_path(const char *path, int ms) {
  struct stat st;
  for (int i = 0; i < ms / 5; i++) {
    if (stat(path, &st) == 0) return 0;
    usleep(5000);
  }
  return stat(path, &st);
}

/* Splits tmpfs options into mount flags and the data string. */
static unsigned long tmpfs_flags(const char *opts, char *data, size_t datalen) {
  static const struct {
    const char *name;
    unsigned long set, clear;
  } F[] = {
      {"ro", MS_RDONLY, 0},      {"rw", 0, MS_RDONLY},       {"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID},
      {"nodev", MS_NODEV, 0},    {"dev", 0, MS_NODEV},       {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC},
      {"noatime", MS_NOATIME, 0}, {"relatime", MS_RELATIME, 0}, {"strictatime", MS_STRICTATIME, 0},
      {"sync", MS_SYNCHRONOUS, 0}, {"async", 0, MS_SYNCHRONOUS}, {"nodiratime", MS_NODIRATIME, 0},
  };
  unsigned long flags = MS_NOSUID | MS_NODEV;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", opts);
  data[0] = 0;
  for (char *save = NULL, *o = strtok_r(tmp, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    size_t k;
    for (k = 0; k < sizeof F / sizeof F[0]; k++)
      if (strcmp(o, F[k].name) == 0) break;
    if (k < sizeof F / sizeof F[0]) {
      flags = (flags | F[k].set) & ~F[k].clear;
    } else if (*o) {
      size_t l = strlen(data);
      snprintf(data + l, datalen - l, "%s%s", l ? "," : "", o);
    }
  }
  return flags;
}

/*
 * A virtio-9p device can be mounted only once at a time ("no channels
 * available"), so each tag is mounted once, under SHARES/<n>, and every bind
 * from it is made from there. The share is read-only when every bind of it
 * is; a read-only bind of a writable share is made read-only by itself.
 */
static int first_of_share(const struct jp_config *c, const struct jp_mount *m, int *all_ro) {
  int first = -1;
  *all_ro = 1;
  for (int i = 0; i < c->n_mounts; i++) {
    const struct jp_mount *o = &c->mounts[i];
    if (o->kind != JP_MOUNT_9P || strcmp(o->tag, m->tag) != 0) continue;
    if (first < 0) first = i;
    if (!o->ro) *all_ro = 0;
  }
  return first;
}

/* Mounts the share of `m` under SHARES when `m` is its first bind (mount_it); writes its directory to dir. */
static int share_of(const struct jp_config *c, const struct jp_mount *m, int mount_it, char *dir, size_t dirlen,
                    char *err, size_t errlen) {
  int all_ro, first = first_of_share(c, m, &all_ro);
  snprintf(dir, dirlen, "%s/%d", SHARES, first);
  if (!mount_it || &c->mounts[first] != m) return 0; /* mounted for an earlier bind */
  if (mkdir_p(dir, 0755) < 0) return snprintf(err, errlen, "creating %.256s: %s", dir, strerror(errno)), -1;
  if (mount(m->tag, dir, "9p", all_ro ? MS_RDONLY : 0, "trans=virtio,version=9p2000.L,msize=524288,cache=none") < 0)
    return snprintf(err, errlen, "mounting the 9p share %.64s: %s", m->tag, strerror(errno)), -1;
  return 0;
}

/* The CONFIG in force (kept: QUIESCE and THAW undo and redo its 9p mounts), and where each of its 9p binds was made under ROOT. */
static struct jp_config applied;
static char **bind_targets;

static int bind_from_share(const struct jp_config *c, int i, const char *share, char *err, size_t errlen) {
  const struct jp_mount *m = &c->mounts[i];
  char target[PATH_MAX], source[PATH_MAX];
  if (snprintf(source, sizeof source, "%s/%s", share, m->subpath) >= (int)sizeof source)
    return snprintf(err, errlen, "the subpath %.256s is too long", m->subpath), -1;
  struct stat st;
  if (stat(source, &st) < 0)
    return snprintf(err, errlen, "%.256s in the share %.64s: %s", m->subpath, m->tag, strerror(errno)), -1;
  if (prepare_dest(m->dest, !S_ISDIR(st.st_mode), target, sizeof target, err, errlen) < 0) return -1;
  if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return snprintf(err, errlen, "binding %.64s:%.256s onto %.256s: %s", m->tag, m->subpath, m->dest,
                    strerror(errno)),
           -1;
  if (m->ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return snprintf(err, errlen, "making %.256s read-only: %s", m->dest, strerror(errno)), -1;
  free(bind_targets[i]);
  bind_targets[i] = strdup(target);
  return 0;
}

static int apply_mount(const struct jp_config *c, int i, char *err, size_t errlen) {
  const struct jp_mount *m = &c->mounts[i];
  char target[PATH_MAX];
  if (m->kind == JP_MOUNT_TMPFS) {
    char data[4096];
    unsigned long flags = tmpfs_flags(m->options, data, sizeof data);
    if (prepare_dest(m->dest, 0, target, sizeof target, err, errlen) < 0) return -1;
    if (mount("tmpfs", target, "tmpfs", flags, data) < 0)
      return snprintf(err, errlen, "mounting tmpfs on %.256s (%.256s): %s", m->dest, m->options, strerror(errno)), -1;
    return 0;
  }
  char share[PATH_MAX];
  if (share_of(c, m, 1, share, sizeof share, err, errlen) < 0) return -1;
  return bind_from_share(c, i, share, err, errlen);
}

static void set_clock(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
  if (clock_settime(CLOCK_REALTIME, &ts) < 0) WARN("setting the clock: %s", strerror(errno));
}

static void handle_config(const struct jp_frame *f) {
  char err[1024];
  struct jp_config c;
  if (configured) {
    send_error(0, "invalid", "CONFIG was already applied");
    return;
  }
  if (jp_parse_config(f->payload, f->len, &c, err, sizeof err) < 0) {
    send_error(0, "invalid", "CONFIG: %s", err);
    return;
  }
  const char *kind = "internal";
  if (c.has_now) set_clock(c.now_ns);
  if (c.hostname && sethostname(c.hostname, strlen(c.hostname)) < 0) {
    snprintf(err, sizeof err, "sethostname: %s", strerror(errno));
    goto fail;
  }
  for (int i = 0; i < c.n_sysctls; i++) {
    char path[300];
    snprintf(path, sizeof path, "/proc/sys/%s", c.sysctls[i].key);
    for (char *p = path + 10; *p; p++)
      if (*p == '.') *p = '/';
    if (write_file(path, c.sysctls[i].value) < 0) {
      kind = errno == ENOENT ? "invalid" : "internal";
      snprintf(err, sizeof err, "sysctl %s=%s: %s", c.sysctls[i].key, c.sysctls[i].value, strerror(errno));
      goto fail;
    }
  }
  loopback_up();
  for (int i = 0; i < c.n_ifaces; i++)
    if (configure_iface(&c.ifaces[i], err, sizeof err) < 0) goto fail;
  for (int i = 0; i < c.n_routes; i++)
    if (add_route(&c.routes[i], err, sizeof err) < 0) goto fail;
  if (c.disk_dev) {
    if (wait_for_path(c.disk_dev, 5000) < 0) {
      snprintf(err, sizeof err, "the disk %s did not appear: %s", c.disk_dev, strerror(errno));
      goto fail;
    }
    if (mkdir_p(ROOT, 0755) < 0 || mount(c.disk_dev, ROOT, c.disk_fs, 0, NULL) < 0) {
      snprintf(err, sizeof err, "mounting %s (%s) on %s: %s", c.disk_dev, c.disk_fs, ROOT, strerror(errno));
      goto fail;
    }
    disk_mounted = 1;
  }
  if (c.n_mounts && !disk_mounted) {
    kind = "invalid";
    snprintf(err, sizeof err, "mounts need a disk");
    goto fail;
  }
  bind_targets = calloc((size_t)c.n_mounts + 1, sizeof *bind_targets);
  if (!bind_targets) {
    snprintf(err, sizeof err, "out of memory");
    goto fail;
  }
  for (int i = 0; i < c.n_mounts; i++)
    if (apply_mount(&c, i, err, sizeof err) < 0) goto fail;
  configured = 1;
  DBG("configured");
  applied = c; /* kept: QUIESCE and THAW undo and redo its 9p mounts */
  return;
fail:
  ERR("CONFIG: %s", err);
  send_error(0, kind, "%s", err);
  jp_config_free(&c);
}

/* ---------------------------------------------------------------- QUIESCE, THAW */

/*
 * QEMU refuses to save (migrate) a VM while a virtio-9p share is mounted in
 * the guest: the server's open fids cannot be carried over. For a memory
 * snapshot QUIESCE freezes the workload's cgroup and unmounts every 9p
 * mount — the binds in the workload's mount namespace, those under ROOT,
 * the shares under SHARES — and THAW mounts them back, then thaws. A mount
 * still in use (an open file or a working directory on a volume) cannot
 * go: QUIESCE then fails with an error naming it, and puts back what it had
 * undone. Steps are recorded in the order they were undone and redone in
 * the reverse order.
 */
enum { UNDONE_NS, UNDONE_NS_SHARE, UNDONE_ROOT, UNDONE_SHARE };
static struct {
  int where, mount;
} undone[4 * 64];
static int n_undone;
static int quiesced;

static int set_frozen(int on, char *err, size_t errlen) {
  if (!cgroup_ok) return 0; /* nothing runs in a workload cgroup to freeze */
  if (write_file(WORKLOAD_CGROUP "/cgroup.freeze", on ? "1" : "0") < 0)
    return snprintf(err, errlen, "%s the workload: %s", on ? "freezing" : "thawing", strerror(errno)), -1;
  char buf[256], want[16];
  snprintf(want, sizeof want, "frozen %d", on);
  for (int i = 0; i < 1000; i++) { /* 10 s */
    if (read_file(WORKLOAD_CGROUP "/cgroup.events", buf, sizeof buf) >= 0 && strstr(buf, want)) return 0;
    usleep(10000);
  }
  return snprintf(err, errlen, "the workload did not %s within 10 s", on ? "freeze" : "thaw"), -1;
}

/* The workload's path of a bind made at `target` under ROOT. */
static const char *inside_root(const char *target) {
  const char *rel = target + strlen(ROOT);
  return *rel ? rel : "/";
}

/*
 * In a child that entered the workload's mount namespace: unmounts `path`
 * (undo; 2: nothing mounted there is fine), or attaches the detached tree
 * `tree` there (redo). The workload
 * is chrooted into ROOT, not pivoted, so its namespace holds copies of the
 * agent's mounts at the agent's paths (SHARES included): the child works
 * on those paths, without a chroot. Returns 0, or -1 with err set.
 */
static int in_workload_mounts(int undo, const char *path, int tree, char *err, size_t errlen) {
  int efd[2];
  char ns[64];
  snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", workload_pid);
  int mntfd = open(ns, O_RDONLY | O_CLOEXEC);
  if (mntfd < 0 || pipe2(efd, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "entering the workload's mounts: %s", strerror(errno));
    if (mntfd >= 0) close(mntfd);
    return -1;
  }
  const char *shown = strncmp(path, ROOT, strlen(ROOT)) == 0 ? inside_root(path) : path;
  pid_t pid = fork();
  if (pid == 0) {
    char msg[512] = "";
    close(efd[0]);
    if (setns(mntfd, CLONE_NEWNS) < 0)
      snprintf(msg, sizeof msg, "entering the workload's mounts: %s", strerror(errno));
    else if (undo && umount2(path, 0) < 0 && !(undo == 2 && errno == EINVAL))
      snprintf(msg, sizeof msg, "%s %s", shown,
               errno == EBUSY ? "is in use in the workload (an open file or a working directory on it)" : strerror(errno));
    else if (!undo && syscall(SYS_move_mount, tree, "", AT_FDCWD, path, 0x4 /* MOVE_MOUNT_F_EMPTY_PATH */) < 0)
      snprintf(msg, sizeof msg, "mounting %s back in the workload: %s", shown, strerror(errno));
    if (*msg) write_all(efd[1], msg, strlen(msg));
    _exit(*msg ? 1 : 0);
  }
  close(efd[1]);
  close(mntfd);
  if (pid < 0) {
    close(efd[0]);
    return snprintf(err, errlen, "fork: %s", strerror(errno)), -1;
  }
  char msg[512];
  ssize_t n = read(efd[0], msg, sizeof msg - 1);
  close(efd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n > 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    msg[n > 0 ? n : 0] = 0;
    return snprintf(err, errlen, "%s", n > 0 ? msg : "the child entering the workload's mounts failed"), -1;
  }
  return 0;
}

static int redo_step(int k, char *err, size_t errlen) {
  int i = undone[k].mount;
  char share[PATH_MAX];
  switch (undone[k].where) {
  case UNDONE_SHARE: return share_of(&applied, &applied.mounts[i], 1, share, sizeof share, err, errlen);
  case UNDONE_ROOT:
    share_of(&applied, &applied.mounts[i], 0, share, sizeof share, err, errlen);
    return bind_from_share(&applied, i, share, err, errlen);
  case UNDONE_NS_SHARE: return 0; /* the workload's copy of the agent's share is not used: it stays gone */
  default: {
    /* a copy of the bind under ROOT, attached in the workload's namespace */
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, bind_targets[i], 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC); /* not recursive: a nested bind is redone on its own */
    if (tree < 0) return snprintf(err, errlen, "open_tree %s: %s", bind_targets[i], strerror(errno)), -1;
    int rc = in_workload_mounts(0, bind_targets[i], tree, err, errlen);
    close(tree);
    return rc;
  }
  }
}

/* Redoes every undone step, newest first; returns -1 (err: the first failure) when one could not be redone. */
static int redo_all(char *err, size_t errlen) {
  int rc = 0;
  for (int k = n_undone - 1; k >= 0; k--) {
    char e[512];
    if (redo_step(k, e, sizeof e) < 0) {
      ERR("THAW: %s", e);
      if (rc == 0) snprintf(err, errlen, "%s", e);
      rc = -1;
    }
  }
  n_undone = 0;
  return rc;
}

static int undo_step(int where, int i, char *err, size_t errlen) {
  if ((size_t)n_undone >= sizeof undone / sizeof undone[0]) return snprintf(err, errlen, "too many 9p mounts to quiesce"), -1;
  char share[PATH_MAX];
  share_of(&applied, &applied.mounts[i], 0, share, sizeof share, err, errlen);
  const char *path = where == UNDONE_SHARE || where == UNDONE_NS_SHARE ? share : bind_targets[i];
  if (where == UNDONE_NS || where == UNDONE_NS_SHARE) {
    /* the workload's copies of the shares go at the first QUIESCE and are not put back */
    if (in_workload_mounts(where == UNDONE_NS_SHARE ? 2 : 1, path, -1, err, errlen) < 0) return -1;
  } else if (umount2(path, 0) < 0) {
    return snprintf(err, errlen, "%s %s", where == UNDONE_SHARE ? "the 9p share" : inside_root(path),
                    errno == EBUSY ? "is in use (an open file or a working directory on it)" : strerror(errno)),
           -1;
  }
  undone[n_undone].where = where;
  undone[n_undone].mount = i;
  n_undone++;
  return 0;
}

static void handle_quiesce(void) {
  char err[600];
  if (quiesced) return;
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].rooted && !procs[i].exited) {
      send_error(0, "invalid", "QUIESCE: a stack VM's services are rooted on its 9p share, which cannot be let go of");
      return;
    }
  if (set_frozen(1, err, sizeof err) < 0) {
    char e2[512];
    set_frozen(0, e2, sizeof e2); /* the freeze was asked for: it must not stay */
    goto fail;
  }
  int ns = workload_started && workload_running;
  static const int passes[] = {UNDONE_NS, UNDONE_NS_SHARE, UNDONE_ROOT, UNDONE_SHARE};
  for (size_t pass = 0; pass < sizeof passes / sizeof passes[0]; pass++) {
    int where = passes[pass];
    if ((where == UNDONE_NS || where == UNDONE_NS_SHARE) && !ns) continue;
    for (int i = applied.n_mounts - 1; i >= 0; i--) {
      int all_ro;
      if (applied.mounts[i].kind != JP_MOUNT_9P || !bind_targets[i]) continue;
      if ((where == UNDONE_SHARE || where == UNDONE_NS_SHARE) && first_of_share(&applied, &applied.mounts[i], &all_ro) != i) continue;
      if (undo_step(where, i, err, sizeof err) < 0) goto undo;
    }
  }
  quiesced = 1;
  DBG("quiesced: %d 9p mounts undone", n_undone);
  return;
undo: {
  char e2[512];
  redo_all(e2, sizeof e2);
  set_frozen(0, e2, sizeof e2);
}
fail:
  ERR("QUIESCE: %s", err);
  send_error(0, "busy", "cannot let go of the 9p shares: %s", err);
}

static void handle_thaw(void) {
  char err[600];
  if (!quiesced) return;
  quiesced = 0;
  int rc = redo_all(err, sizeof err);
  char e2[512];
  if (set_frozen(0, e2, sizeof e2) < 0 && rc == 0) {
    snprintf(err, sizeof err, "%s", e2);
    rc = -1;
  }
  if (rc < 0) send_error(0, "internal", "THAW: %s", err);
}

/* ---------------------------------------------------------------- START */

struct child_error {
  int kind; /* 0 invalid, 1 notfound, 2 permission, 3 internal */
  int err;
  char msg[512];
};

static const char *KINDS[] = {"invalid", "notfound", "permission", "internal"};

static _Noreturn void child_fail(int fd, int kind, int err, const char *fmt, ...) {
  struct child_error ce = {.kind = kind, .err = err};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ce.msg, sizeof ce.msg, fmt, ap);
  va_end(ap);
  write_all(fd, &ce, sizeof ce);
  _exit(127);
}

static int mknod_dev(const char *path, mode_t mode, unsigned maj, unsigned min) {
  if (mknod(path, S_IFCHR | mode, makedev(maj, min)) < 0 && errno != EEXIST) return -1;
  return chmod(path, mode);
}

/* In the workload's new mount namespace, chrooted into root (ROOT, or a rooted workload's directory): /proc, /sys, /dev and friends. */
static void child_mount_root(int efd, const char *root) {
  char dev[PATH_MAX + 8], pts[PATH_MAX + 16];
  snprintf(dev, sizeof dev, "%s/dev", root);
  snprintf(pts, sizeof pts, "%s/dev/pts", root);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    child_fail(efd, 3, errno, "making mounts private: %s", strerror(errno));
  /* /dev is a small tmpfs with docker's device nodes (not devtmpfs: the
     workload must not see or remove the disk and the agent's port); the
     agent's devpts instance is bound into it so ptys work across both. */
  if (mkdir_p(dev, 0755) < 0 ||
      mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
    child_fail(efd, 3, errno, "mounting /dev: %s", strerror(errno));
  if (mkdir(pts, 0755) < 0 || mount("/dev/pts", pts, NULL, MS_BIND, NULL) < 0)
    child_fail(efd, 3, errno, "mounting /dev/pts: %s", strerror(errno));
  if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
    child_fail(efd, 3, errno, "chroot %s: %s", root, strerror(errno));
  if (mkdir_p("/proc", 0555) < 0 || mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    child_fail(efd, 3, errno, "mounting /proc: %s", strerror(errno));
  if (mkdir_p("/sys", 0555) < 0 ||
      mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
    child_fail(efd, 3, errno, "mounting /sys: %s", strerror(errno));
  if (mknod_dev("/dev/null", 0666, 1, 3) < 0 || mknod_dev("/dev/zero", 0666, 1, 5) < 0 ||
      mknod_dev("/dev/full", 0666, 1, 7) < 0 || mknod_dev("/dev/random", 0666, 1, 8) < 0 ||
      mknod_dev("/dev/urandom", 0666, 1, 9) < 0 || mknod_dev("/dev/tty", 0666, 5, 0) < 0)
    child_fail(efd, 3, errno, "creating device nodes: %s", strerror(errno));
  if (symlink("pts/ptmx", "/dev/ptmx") < 0 || symlink("/proc/self/fd", "/dev/fd") < 0 ||
      symlink("/proc/self/fd/0", "/dev/stdin") < 0 || symlink("/proc/self/fd/1", "/dev/stdout") < 0 ||
      symlink("/proc/self/fd/2", "/dev/stderr") < 0 || symlink("/proc/kcore", "/dev/core") < 0)
    child_fail(efd, 3, errno, "creating /dev links: %s", strerror(errno));
  if (mkdir("/dev/shm", 01777) < 0 ||
      mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
    child_fail(efd, 3, errno, "mounting /dev/shm: %s", strerror(errno));
  if (mkdir("/dev/mqueue", 0755) < 0 || mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    child_fail(efd, 3, errno, "mounting /dev/mqueue: %s", strerror(errno));
}

struct cap_hdr {
  uint32_t version;
  int pid;
};
struct cap_data {
  uint32_t effective, permitted, inheritable;
};

/* Everything after the root is in place: limits, identity, capabilities, cwd, exec. */
static _Noreturn void child_exec(int efd, struct jp_start *s) {
  for (int i = 0; i < s->n_rlimits; i++) {
    struct rlimit rl = {.rlim_cur = s->rlimits[i].soft == UINT64_MAX ? RLIM_INFINITY : s->rlimits[i].soft,
                        .rlim_max = s->rlimits[i].hard == UINT64_MAX ? RLIM_INFINITY : s->rlimits[i].hard};
    if (setrlimit(s->rlimits[i].resource, &rl) < 0)
      child_fail(efd, 0, errno, "setrlimit: %s", strerror(errno));
  }
  if (mkdir_p(s->cwd, 0755) < 0 && errno != EEXIST)
    child_fail(efd, 0, errno, "creating the working directory %s: %s", s->cwd, strerror(errno));
  if (s->has_caps) {
    for (int c = 0; c <= cap_last; c++)
      if (!(c < 64 && (s->caps >> c & 1)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        child_fail(efd, 3, errno, "dropping capability %d: %s", c, strerror(errno));
  }
  gid_t groups[65536];
  for (int i = 0; i < s->n_groups && i < 65536; i++) groups[i] = s->groups[i];
  if (setgroups((size_t)s->n_groups, groups) < 0) child_fail(efd, 0, errno, "setgroups: %s", strerror(errno));
  if (setgid(s->gid) < 0) child_fail(efd, 0, errno, "setgid %u: %s", s->gid, strerror(errno));
  if (setuid(s->uid) < 0) child_fail(efd, 0, errno, "setuid %u: %s", s->uid, strerror(errno));
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (s->uid == 0 && s->has_caps) {
    struct cap_hdr h = {_LINUX_CAPABILITY_VERSION_3, 0};
    uint64_t mask = cap_last >= 63 ? ~0ull : (1ull << (cap_last + 1)) - 1;
    uint64_t c = s->caps & mask;
    struct cap_data d[2] = {{(uint32_t)c, (uint32_t)c, (uint32_t)c},
                            {(uint32_t)(c >> 32), (uint32_t)(c >> 32), (uint32_t)(c >> 32)}};
    if (syscall(SYS_capset, &h, d) < 0) child_fail(efd, 3, errno, "capset: %s", strerror(errno));
  }
  if (s->nonewprivs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(efd, 3, errno, "no_new_privs: %s", strerror(errno));
  if (chdir(s->cwd) < 0)
    child_fail(efd, errno == EACCES ? 2 : 0, errno, "chdir to %s: %s", s->cwd, strerror(errno));
  environ = s->envp;
  execvpe(s->argv[0], s->argv, s->envp);
  int e = errno;
  if (e == ENOENT || e == ENOTDIR) {
    if (strchr(s->argv[0], '/'))
      child_fail(efd, 1, e, "exec: \"%s\": stat %s: no such file or directory", s->argv[0], s->argv[0]);
    child_fail(efd, 1, e, "exec: \"%s\": executable file not found in $PATH", s->argv[0]);
  }
  if (e == EACCES || e == EPERM || e == ENOEXEC || e == EISDIR)
    child_fail(efd, 2, e, "exec: \"%s\": %s", s->argv[0], strerror(e));
  child_fail(efd, 3, e, "exec: \"%s\": %s", s->argv[0], strerror(e));
}

static void handle_start(const struct jp_frame *f) {
  char err[1024];
  uint32_t ch = f->channel;
  struct jp_start s;
  if (ch == 0) {
    send_error(0, "invalid", "START on channel 0");
    return;
  }
  if (quiesced) {
    /* its child would join the frozen cgroup before exec and freeze there, with the agent waiting on it */
    send_error(ch, "invalid", "the VM is being snapshotted: its workload is frozen until the snapshot is taken");
    return;
  }
  if (proc_by_channel(ch)) {
    send_error(ch, "invalid", "channel %u is in use", ch);
    return;
  }
  if (jp_parse_start(f->payload, f->len, &s, err, sizeof err) < 0) {
    send_error(ch, "invalid", "START: %s", err);
    return;
  }
  struct proc *p = NULL;
  for (int i = 0; i < MAX_PROCS && !p; i++)
    if (!procs[i].used) p = &procs[i];
  if (!p) {
    send_error(ch, "invalid", "too many processes (%d)", MAX_PROCS);
    goto out;
  }
  /* A rooted workload (init=1 root=) lives in a directory of the disk; an exec joins the workload it names, or the first one. */
  char rootpath[PATH_MAX];
  snprintf(rootpath, sizeof rootpath, "%s", ROOT);
  pid_t target_pid = workload_pid;
  int target_pidns = workload_pidns;
  if (s.init && s.root) {
    struct stat rst;
    if (!configured || !disk_mounted) {
      send_error(ch, "invalid", "the workload needs a CONFIG with a disk first");
      goto out;
    }
    if (snprintf(rootpath, sizeof rootpath, "%s%s", ROOT, s.root) >= (int)sizeof rootpath || stat(rootpath, &rst) < 0 ||
        !S_ISDIR(rst.st_mode)) {
      send_error(ch, "invalid", "the root %.256s is not a directory", s.root);
      goto out;
    }
  } else if (s.init) {
    if (workload_started) {
      send_error(ch, "invalid", "the workload was already started");
      goto out;
    }
    if (!configured || !disk_mounted) {
      send_error(ch, "invalid", "the workload needs a CONFIG with a disk first");
      goto out;
    }
  } else if (s.workload) {
    struct proc *w = proc_by_channel(s.workload);
    if (!w || !w->init || w->exited || (w->rooted ? w->pidns_fd : workload_pidns) < 0) {
      send_error(ch, "invalid", "no workload is running on channel %u to exec in", s.workload);
      goto out;
    }
    target_pid = w->pid;
    target_pidns = w->rooted ? w->pidns_fd : workload_pidns;
  } else if (!workload_running) {
    send_error(ch, "invalid", "no workload is running to exec in");
    goto out;
  }

  /* stdio: a pty, or pipes (stdin from /dev/null unless stdin=1) */
  int child_in = -1, child_out = -1, child_err = -1, my_in = -1, my_out = -1, my_err = -1;
  int ok = 0;
  if (s.tty) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0) {
      send_error(ch, "internal", "opening a pty: %s", strerror(errno));
      if (master >= 0) close(master);
      goto out;
    }
    struct winsize ws = {.ws_row = (unsigned short)(s.rows ? s.rows : 24),
                         .ws_col = (unsigned short)(s.cols ? s.cols : 80)};
    ioctl(master, TIOCSWINSZ, &ws);
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) {
      send_error(ch, "internal", "opening the pty's terminal: %s", strerror(errno));
      close(master);
      goto out;
    }
    child_in = child_out = child_err = slave;
    my_out = master;
    my_in = fcntl(master, F_DUPFD_CLOEXEC, 3);
    set_nonblock(master);
    ok = my_in >= 0;
  } else {
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    ok = pipe2(pout, O_CLOEXEC) == 0 && pipe2(perr, O_CLOEXEC) == 0;
    if (ok && s.stdin_open) ok = pipe2(pin, O_CLOEXEC) == 0;
    else if (ok) ok = (pin[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;
    child_in = pin[0];
    my_in = pin[1];
    child_out = pout[1];
    my_out = pout[0];
    child_err = perr[1];
    my_err = perr[0];
    if (my_out >= 0) set_nonblock(my_out);
    if (my_err >= 0) set_nonblock(my_err);
    if (my_in >= 0) set_nonblock(my_in);
  }
  int epipe[2] = {-1, -1};
  int mntfd = -1, rootfd = -1;
  if (ok && pipe2(epipe, O_CLOEXEC) < 0) ok = 0;
  if (!ok) {
    send_error(ch, "internal", "creating stdio: %s", strerror(errno));
    goto fail_fds;
  }
  if (!s.init) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", target_pid);
    mntfd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/root", target_pid);
    rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (mntfd < 0 || rootfd < 0 || setns(target_pidns, CLONE_NEWPID) < 0) {
      send_error(ch, "invalid", "entering the workload: %s", strerror(errno));
      goto fail_fds;
    }
  } else if (unshare(CLONE_NEWPID) < 0) {
    send_error(ch, "internal", "unshare(CLONE_NEWPID): %s", strerror(errno));
    goto fail_fds;
  }
  uint64_t oom_start = oom_kills();
  pid_t pid = fork();
  int fork_errno = errno;
  if (pid == 0) {
    /* the child: its errors go to the parent through epipe, closed by a successful exec */
    int efd = epipe[1];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (cgroup_procs_fd >= 0 && write(cgroup_procs_fd, "0", 1) < 0)
      child_fail(efd, 3, errno, "joining the workload's cgroup: %s", strerror(errno));
    write_file("/proc/self/oom_score_adj", "0");
    if (setsid() < 0) child_fail(efd, 3, errno, "setsid: %s", strerror(errno));
    if (s.tty && ioctl(child_in, TIOCSCTTY, 0) < 0)
      child_fail(efd, 3, errno, "setting the controlling terminal: %s", strerror(errno));
    if (dup2(child_in, 0) < 0 || dup2(child_out, 1) < 0 || dup2(child_err, 2) < 0)
      child_fail(efd, 3, errno, "dup2: %s", strerror(errno));
    if (s.init) {
      if (unshare(CLONE_NEWNS | (s.root && s.hostname ? CLONE_NEWUTS : 0)) < 0)
        child_fail(efd, 3, errno, "unshare(CLONE_NEWNS): %s", strerror(errno));
      if (s.root && s.hostname && sethostname(s.hostname, strlen(s.hostname)) < 0)
        child_fail(efd, 3, errno, "sethostname: %s", strerror(errno));
      child_mount_root(efd, rootpath);
    } else {
      if (setns(mntfd, CLONE_NEWNS) < 0) child_fail(efd, 3, errno, "entering the workload's mounts: %s", strerror(errno));
      if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
        child_fail(efd, 3, errno, "entering the workload's root: %s", strerror(errno));
    }
    child_exec(efd, &s);
  }
  /* back in the agent's own PID namespace for later children */
  if (setns(self_pidns, CLONE_NEWPID) < 0) ERR("returning to the agent's PID namespace: %s", strerror(errno));
  if (pid < 0) {
    send_error(ch, "internal", "fork: %s", strerror(fork_errno));
    goto fail_fds;
  }
  close(epipe[1]);
  epipe[1] = -1;
  if (child_in >= 0) close(child_in);
  if (child_out >= 0 && child_out != child_in) close(child_out);
  if (child_err >= 0 && child_err != child_in) close(child_err);
  child_in = child_out = child_err = -1;
  struct child_error ce;
  size_t got = 0;
  while (got < sizeof ce) {
    ssize_t n = read(epipe[0], (char *)&ce + got, sizeof ce - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(epipe[0]);
  epipe[0] = -1;
  if (got > 0) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    ce.msg[sizeof ce.msg - 1] = 0;
    if (got < sizeof ce) snprintf(ce.msg, sizeof ce.msg, "the process failed to start");
    int kind = ce.kind >= 0 && ce.kind <= 3 ? ce.kind : 3;
    DBG("START channel %u failed: %s", ch, ce.msg);
    send_error(ch, KINDS[kind], "%s", ce.msg);
    goto fail_fds;
  }
  memset(p, 0, sizeof *p);
  p->used = 1;
  p->channel = ch;
  p->pid = pid;
  p->init = s.init;
  p->tty = s.tty;
  p->out_fd = my_out;
  p->err_fd = my_err;
  p->in_fd = (s.stdin_open || s.tty) ? my_in : -1;
  if (p->in_fd < 0 && my_in >= 0) close(my_in);
  p->oom_start = oom_start;
  p->pidns_fd = -1;
  if (s.init && s.root) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
    p->rooted = 1;
    p->pidns_fd = open(path, O_RDONLY | O_CLOEXEC);
  } else if (s.init) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
    workload_pidns = open(path, O_RDONLY | O_CLOEXEC);
    workload_pid = pid;
    workload_started = workload_running = 1;
  }
  if (mntfd >= 0) close(mntfd);
  if (rootfd >= 0) close(rootfd);
  struct jp_buf b = {0};
  jp_putf(&b, "pid", "%d", pid);
  send_records(JP_STARTED, ch, &b);
  DBG("started channel %u pid %d: %s", ch, pid, s.argv[0]);
  goto out;
fail_fds:
  if (child_in >= 0) close(child_in);
  if (child_out >= 0 && child_out != child_in) close(child_out);
  if (child_err >= 0 && child_err != child_in) close(child_err);
  if (my_in >= 0) close(my_in);
  if (my_out >= 0) close(my_out);
  if (my_err >= 0) close(my_err);
  if (epipe[0] >= 0) close(epipe[0]);
  if (epipe[1] >= 0) close(epipe[1]);
  if (mntfd >= 0) close(mntfd);
  if (rootfd >= 0) close(rootfd);
out:
  jp_start_free(&s);
}

/* ---------------------------------------------------------------- process I/O and exits */

/* Reads one chunk of output: 1 when data was queued, 0 when none is ready, -1 when the fd reached its end (closed). */
static int proc_read(struct proc *p, int *fd, uint8_t type) {
  static uint8_t buf[READ_CHUNK];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n > 0) {
    send_frame(type, p->channel, buf, (size_t)n);
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  close_fd(fd); /* EOF, or EIO from a pty whose terminal side is gone */
  return -1;
}

static void build_exit(const struct proc *p, struct jp_buf *b, int oom) {
  if (WIFSIGNALED(p->status)) {
    jp_putf(b, "code", "%d", 128 + WTERMSIG(p->status));
    jp_putf(b, "signal", "%d", WTERMSIG(p->status));
  } else {
    jp_putf(b, "code", "%d", WEXITSTATUS(p->status));
  }
  if (oom) jp_put(b, "oom", "1");
}

static int proc_oom(const struct proc *p) {
  /* oom: the OOM killer killed a process of the workload while this one ran;
     an exec must itself have died of SIGKILL for it to count */
  if (oom_kills() <= p->oom_start) return 0;
  return p->init || (WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGKILL);
}

static int proc_oom_flag[MAX_PROCS];

/* Once a process has exited: sends what is left of its output, then its EXIT. */
static void try_finish(struct proc *p) {
  if (!p->used || !p->exited || p->exit_state != EXIT_NONE) return;
  int *fds[2] = {&p->out_fd, &p->err_fd};
  uint8_t types[2] = {JP_STDOUT, JP_STDERR};
  for (int k = 0; k < 2; k++) {
    while (*fds[k] >= 0) {
      if (oq_bytes >= OUT_LIMIT) return; /* resumed when the queue drains */
      int r = proc_read(p, fds[k], types[k]);
      if (r == 0) close_fd(fds[k]); /* nothing more: what a leftover child writes later is dropped */
    }
  }
  proc_close_stdin(p);
  int oom = proc_oom(p);
  proc_oom_flag[p - procs] = oom;
  struct jp_buf b = {0};
  build_exit(p, &b, oom);
  send_records(JP_EXIT, p->channel, &b);
  p->exit_state = EXIT_QUEUED;
  DBG("channel %u exited (status 0x%x)", p->channel, p->status);
}

static void reap(void) {
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) return;
    struct proc *p = proc_by_pid(pid);
    if (!p) continue;
    p->exited = 1;
    p->status = st;
    if (p->rooted) {
      close_fd(&p->pidns_fd);
    } else if (p->init) {
      workload_running = 0;
      close_fd(&workload_pidns);
    }
    try_finish(p);
  }
}

static void flush_stdin(struct proc *p) {
  while (p->in_fd >= 0 && p->in_off < p->in_len) {
    ssize_t n = write(p->in_fd, p->in_buf + p->in_off, p->in_len - p->in_off);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      DBG("stdin of channel %u: %s", p->channel, strerror(errno));
      proc_close_stdin(p); /* the process closed its stdin */
      return;
    }
    p->in_off += (size_t)n;
    stdin_bytes -= (size_t)n;
  }
  if (p->in_off == p->in_len) {
    free(p->in_buf);
    p->in_buf = NULL;
    p->in_len = p->in_off = 0;
  }
  if (p->in_fd >= 0 && p->in_eof && p->in_len == 0) {
    if (p->tty) {
      struct termios t;
      char eof = 4;
      if (tcgetattr(p->in_fd, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE) eof = (char)t.c_cc[VEOF];
      if (write(p->in_fd, &eof, 1) < 0 && errno == EAGAIN) return;
    }
    proc_close_stdin(p);
  }
}

/* ---------------------------------------------------------------- host messages */

static void send_exit_early(struct oframe **after, struct proc *p) {
  struct jp_buf b = {0};
  build_exit(p, &b, proc_oom_flag[p - procs]);
  *after = send_frame_early(*after, JP_EXIT, p->channel, b.data, b.len);
  jp_buf_free(&b);
  p->exit_state = EXIT_QUEUED;
}

static uint64_t agent_start_ms;
static int first_hello = 1;

static void handle_hello(const struct jp_frame *f) {
  long v = jp_hello_version(f->payload, f->len);
  if (v != JP_VERSION) WARN("the host speaks protocol version %ld, this agent %d", v, JP_VERSION);
  hello_seen = 1;
  struct utsname u;
  uname(&u);
  struct jp_buf b = {0};
  jp_putf(&b, "version", "%d", JP_VERSION);
  jp_put(&b, "agent", AGENT_NAME);
  jp_put(&b, "kernel", u.release);
  jp_put(&b, "state", workload_started ? "running" : configured ? "configured" : "booted");
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && !procs[i].exited) jp_putf(&b, "process", "%u", procs[i].channel);
  struct oframe *after = send_frame_early(NULL, JP_HELLO, 0, b.data, b.len);
  jp_buf_free(&b);
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].exit_state == EXIT_SENT) send_exit_early(&after, &procs[i]);
  if (first_hello) {
    first_hello = 0;
    INFO("HELLO at %llu ms of uptime (agent started at %llu ms)", (unsigned long long)uptime_ms(),
         (unsigned long long)agent_start_ms);
  }
}

static void handle_stdin(const struct jp_frame *f) {
  struct proc *p = proc_by_channel(f->channel);
  if (!p || p->exited || p->in_fd < 0 || p->in_eof) return; /* no process, or its stdin is closed: dropped */
  if (f->len == 0) {
    p->in_eof = 1;
    flush_stdin(p);
    return;
  }
  size_t pending = p->in_len - p->in_off;
  uint8_t *nb = malloc(pending + f->len);
  if (!nb) {
    WARN("out of memory buffering stdin of channel %u", p->channel);
    return;
  }
  if (pending) memcpy(nb, p->in_buf + p->in_off, pending);
  memcpy(nb + pending, f->payload, f->len);
  free(p->in_buf);
  p->in_buf = nb;
  p->in_off = 0;
  p->in_len = pending + f->len;
  stdin_bytes += f->len;
  flush_stdin(p);
}

static void handle_signal(const struct jp_frame *f) {
  char err[256];
  struct jp_signal s;
  if (jp_parse_signal(f->payload, f->len, &s, err, sizeof err) < 0) {
    send_error(f->channel, "invalid", "SIGNAL: %s", err);
    return;
  }
  struct proc *p = proc_by_channel(f->channel);
  if (!p || p->exited) return;
  if (s.all && p->rooted) {
    /* every process whose PID namespace is the rooted workload's (the workloads share one cgroup) */
    struct stat ns, o;
    int n = 0;
    if (p->pidns_fd >= 0 && fstat(p->pidns_fd, &ns) == 0) {
      DIR *d = opendir("/proc");
      struct dirent *e;
      while (d && (e = readdir(d))) {
        char path[300];
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/ns/pid", e->d_name);
        if (stat(path, &o) == 0 && o.st_ino == ns.st_ino && o.st_dev == ns.st_dev && kill(atoi(e->d_name), s.signal) == 0) n++;
      }
      if (d) closedir(d);
    }
    if (n == 0) kill(p->pid, s.signal);
    DBG("signal %d to the %d processes of workload %u", s.signal, n, p->channel);
  } else if (s.all && p->init) {
    static pid_t pids[65536];
    int n = workload_pids(pids, 65536);
    for (int i = 0; i < n; i++) kill(pids[i], s.signal);
    DBG("signal %d to the %d processes of the workload", s.signal, n);
  } else if (kill(p->pid, s.signal) < 0) {
    DBG("signal %d to %d: %s", s.signal, p->pid, strerror(errno));
  }
}

static void handle_resize(const struct jp_frame *f) {
  char err[256];
  struct jp_resize r;
  if (jp_parse_resize(f->payload, f->len, &r, err, sizeof err) < 0) {
    send_error(f->channel, "invalid", "RESIZE: %s", err);
    return;
  }
  struct proc *p = proc_by_channel(f->channel);
  if (!p || p->exited || !p->tty) return;
  int fd = p->out_fd >= 0 ? p->out_fd : p->in_fd;
  struct winsize ws = {.ws_row = (unsigned short)r.rows, .ws_col = (unsigned short)r.cols};
  if (fd >= 0) ioctl(fd, TIOCSWINSZ, &ws); /* the kernel sends SIGWINCH to the foreground group */
}

static void handle_ack(const struct jp_frame *f) {
  struct proc *p = proc_by_channel(f->channel);
  if (!p || p->exit_state == EXIT_NONE) return;
  /* drop EXITs of this channel still waiting in the queue (resent after a HELLO) */
  for (struct oframe **pp = &oq_head; *pp;) {
    struct oframe *q = *pp;
    if (q->type == JP_EXIT && q->channel == f->channel && q->off == 0) {
      *pp = q->next;
      if (oq_tail == q) {
        oq_tail = NULL;
        for (struct oframe *t = oq_head; t; t = t->next) oq_tail = t;
      }
      oq_bytes -= q->len;
      free(q);
    } else {
      pp = &q->next;
    }
  }
  /* a rooted workload is one of several: only the first workload's exit ends the VM */
  int was_init = p->init && !p->rooted;
  proc_free(p);
  if (was_init) poweroff("the workload's exit was acknowledged");
}

static void handle_sync(const struct jp_frame *f) {
  char err[256];
  struct jp_sync s;
  if (jp_parse_sync(f->payload, f->len, &s, err, sizeof err) < 0) {
    send_error(0, "invalid", "SYNC: %s", err);
    return;
  }
  if (s.has_now) set_clock(s.now_ns);
  if (s.seed_len > 0) {
    struct {
      int entropy_count;
      int buf_size;
      uint8_t buf[sizeof s.seed];
    } info;
    info.entropy_count = s.seed_len * 8;
    info.buf_size = s.seed_len;
    memcpy(info.buf, s.seed, (size_t)s.seed_len);
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, RNDADDENTROPY, &info) < 0) send_error(0, "internal", "RNDADDENTROPY: %s", strerror(errno));
    /* Adding entropy does not change what the already-seeded CRNG hands out (a restored guest would
     * repeat the template's random numbers until the next periodic reseed): reseed it now. */
    else if (ioctl(fd, RNDRESEEDCRNG, 0) < 0) send_error(0, "internal", "RNDRESEEDCRNG: %s", strerror(errno));
    if (fd >= 0) close(fd);
  }
}

static void protocol_error(const char *what) {
  ERR("protocol error: %s; ignoring input until the host reconnects", what);
  send_error(0, "invalid", "protocol error: %s; the agent ignores input until the host reconnects", what);
  broken = 1;
  inlen = 0;
}

static void dispatch(const struct jp_frame *f) {
  DBG("frame type=%u channel=%u len=%zu", f->type, f->channel, f->len);
  switch (f->type) {
  case JP_HELLO:
  case JP_CONFIG:
  case JP_START:
  case JP_SIGNAL:
  case JP_RESIZE:
  case JP_STATS:
  case JP_SYNC:
    if (!jp_records_valid(f->payload, f->len)) {
      protocol_error("malformed records");
      return;
    }
    break;
  default:
    break;
  }
  switch (f->type) {
  case JP_HELLO: handle_hello(f); break;
  case JP_CONFIG: handle_config(f); break;
  case JP_START: handle_start(f); break;
  case JP_STDIN: handle_stdin(f); break;
  case JP_SIGNAL: handle_signal(f); break;
  case JP_RESIZE: handle_resize(f); break;
  case JP_STATS: handle_stats(); break;
  case JP_ACK: handle_ack(f); break;
  case JP_SHUTDOWN: poweroff("SHUTDOWN"); break;
  case JP_SYNC: handle_sync(f); break;
  case JP_QUIESCE: handle_quiesce(); break;
  case JP_THAW: handle_thaw(); break;
  default: WARN("ignoring a frame of type %u, which only the agent sends", f->type); break;
  }
}

/* ---------------------------------------------------------------- the port */

static int input_blocked(void) { return stdin_bytes >= STDIN_LIMIT; }

static void process_input(void) {
  size_t off = 0;
  while (!broken && !input_blocked()) {
    struct jp_frame f;
    size_t used;
    int r = jp_frame_parse(inbuf + off, inlen - off, &f, &used);
    if (r == JP_FRAME_MORE) break;
    if (r != JP_FRAME_OK) {
      protocol_error(r == JP_FRAME_BADLEN ? "frame length out of bounds" : "unknown message type");
      return;
    }
    off += used;
    dispatch(&f);
  }
  if (broken) {
    inlen = 0;
    return;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
}

static void disconnect(const char *why) {
  if (connected) DBG("host disconnected (%s)", why);
  connected = hello_seen = broken = 0;
  inlen = 0;
  if (oq_head) oq_head->off = 0; /* a frame cut by the disconnect goes again, whole, to the next host */
}

static void port_read(void) {
  const size_t cap = JP_HEADER + JP_MAX_PAYLOAD;
  for (;;) {
    if (broken) inlen = 0;
    else if (input_blocked() || inlen == cap) return;
    ssize_t n = read(port_fd, inbuf + inlen, cap - inlen);
    if (n == 0) {
      disconnect("end of input");
      return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) disconnect(strerror(errno));
      return;
    }
    if (broken) continue;
    inlen += (size_t)n;
    process_input();
  }
}

static void port_write(void) {
  while (oq_head && connected && hello_seen) {
    struct oframe *f = oq_head;
    ssize_t n = write(port_fd, f->data + f->off, f->len - f->off);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) disconnect(strerror(errno));
      return;
    }
    f->off += (size_t)n;
    if (f->off < f->len) continue;
    oq_head = f->next;
    if (!oq_head) oq_tail = NULL;
    oq_bytes -= f->len;
    if (f->type == JP_EXIT) {
      struct proc *p = proc_by_channel(f->channel);
      if (p && p->exited && p->exit_state == EXIT_QUEUED) p->exit_state = EXIT_SENT;
    }
    free(f);
  }
}

static int find_port(void) {
  DIR *d = opendir("/sys/class/virtio-ports");
  if (!d) return -1;
  struct dirent *e;
  int found = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strlen(e->d_name) > 32) continue;
    char path[300], name[128];
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
    if (read_file(path, name, sizeof name) < 0) continue;
    name[strcspn(name, "\n")] = 0;
    if (strcmp(name, JP_PORT_NAME) == 0) {
      snprintf(port_path, sizeof port_path, "/dev/%s", e->d_name);
      found = 1;
      break;
    }
  }
  closedir(d);
  if (!found) return -1;
  int fd = open(port_path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -1;
  /* SIGIO (read through the signalfd) tells of the host connecting and disconnecting */
  fcntl(fd, F_SETOWN, getpid());
  fcntl(fd, F_SETFL, O_NONBLOCK | O_ASYNC);
  return fd;
}

/* While disconnected: is the host back? */
static void probe_port(void) {
  if (port_fd < 0) return;
  struct pollfd pf = {.fd = port_fd, .events = POLLIN};
  if (poll(&pf, 1, 0) < 0 || (pf.revents & POLLHUP)) return;
  connected = 1;
  DBG("host connected");
}

/* ---------------------------------------------------------------- boot */

/*
 * Modules that only a virtio device of one type needs (virtio device IDs:
 * 1 net, 2 block, 9 9p). Once virtio_mmio is loaded (it registers the
 * machine's devices as it loads), a module whose device is absent is not
 * loaded: under TCG each costs milliseconds to tens of them (ext4 about
 * 180 ms), and a VM without a NIC or shares needs none of theirs. A module
 * not named here is always loaded.
 */
static const struct {
  const char *module;
  int device;
} device_modules[] = {
    {"failover.ko", 1}, {"net_failover.ko", 1}, {"virtio_net.ko", 1},
    {"virtio_blk.ko", 2}, {"crc32c_generic.ko", 2}, {"crc16.ko", 2}, {"mbcache.ko", 2}, {"jbd2.ko", 2}, {"ext4.ko", 2},
    {"9pnet.ko", 9}, {"9pnet_virtio.ko", 9}, {"netfs.ko", 9}, {"fscache.ko", 9}, {"9p.ko", 9},
};

/* Bit N set: a virtio device of type N is present. 0 when none could be read (then every module loads). */
static unsigned virtio_devices(void) {
  unsigned present = 0;
  DIR *d = opendir("/sys/bus/virtio/devices");
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[PATH_MAX], id[32];
    snprintf(path, sizeof path, "/sys/bus/virtio/devices/%s/device", e->d_name);
    if (read_file(path, id, sizeof id) <= 0) continue;
    unsigned long v = strtoul(id, NULL, 0);
    if (v < 32) present |= 1u << v;
  }
  closedir(d);
  return present;
}

static void load_modules(const char *mmio_params) {
  char list[16384];
  if (read_file("/etc/janus/modules", list, sizeof list) < 0) {
    WARN("/etc/janus/modules: %s", strerror(errno));
    return;
  }
  unsigned present = 0;
  int mmio_loaded = 0;
  for (char *save = NULL, *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    line += strspn(line, " \t");
    line[strcspn(line, " \t\r")] = 0;
    if (!*line || *line == '#') continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/lib/modules/%s", line);
    const char *base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
    if (mmio_loaded && present) {
      int skip = 0;
      for (size_t i = 0; i < sizeof device_modules / sizeof device_modules[0]; i++)
        if (strcmp(base, device_modules[i].module) == 0 && !(present & (1u << device_modules[i].device))) skip = 1;
      if (skip) {
        DBG("skipped %s: no virtio device needs it", line);
        continue;
      }
    }
    const char *params = strcmp(base, "virtio_mmio.ko") == 0 ? mmio_params : "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      WARN("module %s: %s", path, strerror(errno));
      continue;
    }
    if (syscall(SYS_finit_module, fd, params, 0) < 0 && errno != EEXIST)
      WARN("loading %s: %s", line, strerror(errno));
    else
      DBG("loaded %s %s", line, params);
    close(fd);
    if (strcmp(base, "virtio_mmio.ko") == 0) {
      mmio_loaded = 1;
      present = virtio_devices();
      DBG("virtio devices present: 0x%x", present);
    }
  }
}

static void setup_cgroup(void) {
  if (mount("cgroup2", CGROUP, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
    WARN("mounting cgroup2: %s (no OOM accounting per workload)", strerror(errno));
    return;
  }
  if (write_file(CGROUP "/cgroup.subtree_control", "+memory +pids") < 0)
    WARN("enabling the memory and pids controllers: %s", strerror(errno));
  if (mkdir(WORKLOAD_CGROUP, 0755) < 0 && errno != EEXIST) {
    WARN("creating %s: %s", WORKLOAD_CGROUP, strerror(errno));
    return;
  }
  cgroup_procs_fd = open(WORKLOAD_CGROUP "/cgroup.procs", O_WRONLY | O_CLOEXEC);
  cgroup_ok = cgroup_procs_fd >= 0;
}

int main(void) {
  clock_gettime(CLOCK_MONOTONIC, &boot_mono);
  agent_start_ms = uptime_ms();
  mkdir("/proc", 0555);
  mkdir("/sys", 0555);
  mkdir("/dev", 0755);
  mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mkdir("/dev/pts", 0755);
  mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  int con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) dup2(null, 0);
  if (con >= 0) {
    dup2(con, 1);
    dup2(con, 2);
  }
  if (con > 2) close(con);
  if (null > 2) close(null);
  mkdir_p("/run/janus", 0755);

  char cmdline[8192], mmio[8192] = "";
  if (read_file("/proc/cmdline", cmdline, sizeof cmdline) < 0) cmdline[0] = 0;
  for (char *save = NULL, *tok = strtok_r(cmdline, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
    if (strcmp(tok, "janus.debug=1") == 0) debug = 1;
    if (strncmp(tok, "virtio_mmio.device=", 19) == 0) {
      size_t l = strlen(mmio);
      snprintf(mmio + l, sizeof mmio - l, "%sdevice=%s", l ? " " : "", tok + 19);
    }
  }
  DBG("starting at %llu ms of uptime", (unsigned long long)agent_start_ms);
  write_file("/proc/self/oom_score_adj", "-1000");

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGIO);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) ERR("signalfd: %s", strerror(errno));
  self_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  char capbuf[32];
  if (read_file("/proc/sys/kernel/cap_last_cap", capbuf, sizeof capbuf) > 0) cap_last = atoi(capbuf);

  load_modules(mmio);
  setup_cgroup();
  loopback_up();
  inbuf = malloc(JP_HEADER + JP_MAX_PAYLOAD);
  if (!inbuf) {
    ERR("out of memory");
    poweroff("out of memory");
  }

  for (int tries = 0; (port_fd = find_port()) < 0; tries++) {
    if (tries == 1000) ERR("no virtio-serial port named %s yet; still looking", JP_PORT_NAME);
    usleep(tries < 1000 ? 5000 : 1000000);
    reap();
  }
  DBG("port %s at %llu ms of uptime", port_path, (unsigned long long)uptime_ms());
  probe_port();

  struct pollfd pfds[2 + 3 * MAX_PROCS];
  struct {
    struct proc *p;
    int which; /* 0 out, 1 err, 2 in */
  } map[2 + 3 * MAX_PROCS];
  for (;;) {
    reap();
    for (int i = 0; i < MAX_PROCS; i++) try_finish(&procs[i]);
    if (connected && !broken && !input_blocked() && inlen > 0) process_input();
    if (connected) port_write();

    int n = 0;
    pfds[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
    n++;
    int port_idx = -1;
    if (connected) {
      short ev = 0;
      if (broken || !input_blocked()) ev |= POLLIN;
      if (hello_seen && oq_head) ev |= POLLOUT;
      pfds[n] = (struct pollfd){.fd = port_fd, .events = ev};
      port_idx = n++;
    }
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &procs[i];
      if (!p->used || p->exited) continue;
      if (oq_bytes < OUT_LIMIT) {
        if (p->out_fd >= 0) {
          pfds[n] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
          map[n].p = p;
          map[n++].which = 0;
        }
        if (p->err_fd >= 0) {
          pfds[n] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
          map[n].p = p;
          map[n++].which = 1;
        }
      }
      if (p->in_fd >= 0 && p->in_off < p->in_len) {
        pfds[n] = (struct pollfd){.fd = p->in_fd, .events = POLLOUT};
        map[n].p = p;
        map[n++].which = 2;
      }
    }
    int r = poll(pfds, (nfds_t)n, connected ? -1 : 200);
    if (r < 0) {
      if (errno != EINTR) ERR("poll: %s", strerror(errno));
      continue;
    }
    if (pfds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
    }
    if (!connected) probe_port();
    if (port_idx >= 0) {
      short re = pfds[port_idx].revents;
      if (re & POLLIN) port_read();
      if (connected && (re & POLLHUP)) disconnect("hang-up");
      else if (connected && (re & POLLERR)) disconnect("error");
      if (connected && (re & POLLOUT)) port_write();
    }
    for (int i = port_idx >= 0 ? port_idx + 1 : 1; i < n; i++) {
      short re = pfds[i].revents;
      if (!re) continue;
      struct proc *p = map[i].p;
      if (!p->used) continue;
      if (map[i].which == 2) flush_stdin(p);
      else if (oq_bytes < OUT_LIMIT) proc_read(p, map[i].which == 0 ? &p->out_fd : &p->err_fd,
                                               map[i].which == 0 ? JP_STDOUT : JP_STDERR);
    }
  }
}
