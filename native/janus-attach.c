/*
 * janus-attach SOCKET_PATH
 *
 * Relays between the Janus daemon (over this program's stdin/stdout) and
 * conmon's attach socket, an AF_UNIX SOCK_SEQPACKET socket that Node.js
 * cannot open itself.
 *
 * conmon's protocol (conmon 2.1, src/conn_sock.c and src/ctr_stdio.c):
 *   - every packet conmon sends is one byte naming the pipe (2 = stdout,
 *     3 = stderr; with a terminal everything is stdout) followed by the data;
 *   - every packet the client sends is data for the process's stdin; conmon
 *     reads it with one read() of at most 32768 bytes, so a longer packet
 *     would be cut short;
 *   - when the client shuts down its write side (or goes away) conmon closes
 *     the process's stdin, unless conmon runs with --leave-stdin-open;
 *   - conmon closes the connection once the process has exited and its
 *     output is drained.
 *
 * What this program writes to stdout, in Docker's multiplexed framing
 * (8-byte header: stream, 0, 0, 0, big-endian uint32 length; then payload):
 *   - stream 0, length 0, once connected: the caller's signal that the
 *     connection is up (nothing else is written before it);
 *   - stream 1 (stdout) and 2 (stderr) frames: the process's output;
 *   - stream 0, length 0, a second time: after stdin reached EOF, every byte
 *     of it was handed to conmon and the write side was shut down.
 *
 * Exit status: 0 when conmon closed the connection (the process ended) or
 * the reader of stdout went away; 2 for bad usage; 3 when nothing listens at
 * SOCKET_PATH (no such socket, or its conmon is gone); 1 for any other
 * error. Errors are one line on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* conmon reads client packets with read(fd, buf, CONN_SOCK_BUF_SIZE = 32768). */
#define MAX_IN_PACKET 32768
/* conmon's packets are at most STDIO_BUF_SIZE + 1 = 8193 bytes; leave ample room. */
#define MAX_OUT_PACKET 65536
#define HEADER 8

#define EXIT_USAGE 2
#define EXIT_NO_LISTENER 3

static const char *sock_path;

static void die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write, so the line arrives whole even if stderr is shared. */
	dprintf(STDERR_FILENO, "janus-attach: %s\n", line);
	exit(status);
}

/*
 * Writes all of buf to stdout. Returns 0, or -1 when the reader went away
 * (EPIPE; ECONNRESET when stdout is a socket). Waits when stdout was left
 * non-blocking by whoever set it up.
 */
static int write_stdout(const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				die(1, "waiting to write to stdout: %s", strerror(errno));
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return -1;
		die(1, "writing to stdout: %s", n < 0 ? strerror(errno) : "wrote nothing");
	}
	return 0;
}

/* A frame header: stream, three zero bytes, big-endian payload length. */
static void put_header(unsigned char *h, unsigned char stream, uint32_t len)
{
	h[0] = stream;
	h[1] = h[2] = h[3] = 0;
	h[4] = (unsigned char)(len >> 24);
	h[5] = (unsigned char)(len >> 16);
	h[6] = (unsigned char)(len >> 8);
	h[7] = (unsigned char)len;
}

/* Writes the zero-length stream-0 frame; returns -1 when the reader went away. */
static int write_marker(void)
{
	unsigned char h[HEADER];
	put_header(h, 0, 0);
	return write_stdout(h, sizeof(h));
}

static int connect_socket(const char *path)
{
	struct sockaddr_un addr;
	size_t len = strlen(path);
	if (len == 0)
		die(EXIT_USAGE, "empty socket path");
	if (len >= sizeof(addr.sun_path))
		die(EXIT_USAGE, "socket path is %zu bytes, longer than the %zu a unix socket allows: %s", len,
		    sizeof(addr.sun_path) - 1, path);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len + 1);

	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	int interrupted = 0;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		if (errno == EINTR) {
			interrupted = 1;
			continue;
		}
		/* An interrupted connect carries on in the kernel; a retry then finds it done. */
		if (interrupted && errno == EISCONN)
			break;
		if (interrupted && (errno == EALREADY || errno == EINPROGRESS)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				die(1, "connect to %s: waiting: %s", path, strerror(errno));
			continue;
		}
		int e = errno;
		int status = (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) ? EXIT_NO_LISTENER : 1;
		die(status, "connect to %s: %s", path, strerror(e));
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		die(EXIT_USAGE, "usage: janus-attach SOCKET_PATH");
	sock_path = argv[1];

	/*
	 * A standard descriptor left closed by whoever started us would be
	 * reused by the socket, mixing the relay's two sides: hold it with
	 * /dev/null (a closed stdin then reads as empty).
	 */
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			return 1;
	}

	/* Write errors come back as EPIPE instead of killing us. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A daemon that dies must not leave helpers holding attach
	 * connections; checking the parent afterwards closes the race with a
	 * parent that died before prctl.
	 */
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != parent)
		return 0;

	int sock = connect_socket(sock_path);
	if (write_marker() < 0)
		return 0;

	/* Output: packet read at out + HEADER - 1, so the header overwrites only the pipe byte. */
	static unsigned char out[HEADER - 1 + MAX_OUT_PACKET + 1];
	/* Input not yet taken by conmon (its queue is full while the process does not read stdin). */
	static unsigned char in[MAX_IN_PACKET];
	size_t in_len = 0;
	int stdin_open = 1;    /* our stdin has not reached EOF */
	int sock_writable = 1; /* conmon still takes input */

	for (;;) {
		/*
		 * The output side is always polled: conmon blocks writing to its
		 * clients, so a pending input packet must never keep us from
		 * reading, or conmon and this program would wait on each other.
		 */
		struct pollfd fds[2];
		fds[0].fd = sock;
		fds[0].events = POLLIN | (in_len > 0 ? POLLOUT : 0);
		fds[0].revents = 0;
		fds[1].fd = (stdin_open && in_len == 0) ? STDIN_FILENO : -1;
		fds[1].events = POLLIN;
		fds[1].revents = 0;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(1, "poll: %s", strerror(errno));
		}

		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct iovec iov = {.iov_base = out + HEADER - 1, .iov_len = MAX_OUT_PACKET + 1};
			struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
			ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT);
			if (n < 0) {
				/*
				 * ECONNRESET: conmon closed with our input unread (the
				 * process ended before taking it). The kernel reports it
				 * once, ahead of any output still queued; EOF follows.
				 */
				if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNRESET)
					die(1, "reading from %s: %s", sock_path, strerror(errno));
			} else if (n == 0) {
				return 0;
			} else {
				if (n > MAX_OUT_PACKET || (msg.msg_flags & MSG_TRUNC))
					die(1, "reading from %s: a packet longer than %d bytes", sock_path, MAX_OUT_PACKET);
				unsigned char pipe = out[HEADER - 1];
				if (pipe != 2 && pipe != 3)
					die(1, "reading from %s: unknown pipe %u in a packet from conmon", sock_path, pipe);
				if (n > 1) {
					put_header(out, pipe == 2 ? 1 : 2, (uint32_t)(n - 1));
					if (write_stdout(out, HEADER + (size_t)(n - 1)) < 0)
						return 0;
				}
			}
		}

		if (in_len > 0 && (fds[0].revents & POLLOUT)) {
			ssize_t n = send(sock, in, in_len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n >= 0) {
				in_len = 0; /* a packet goes whole or not at all */
			} else if (errno == EPIPE || errno == ECONNRESET) {
				/* conmon stopped taking input: the process ended. Output still flows until EOF. */
				in_len = 0;
				sock_writable = 0;
			} else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
				die(1, "writing to %s: %s", sock_path, strerror(errno));
			}
		}

		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			if (n < 0) {
				if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
					die(1, "reading stdin: %s", strerror(errno));
			} else if (n == 0) {
				stdin_open = 0;
				if (sock_writable) {
					if (shutdown(sock, SHUT_WR) < 0 && errno != ENOTCONN)
						die(1, "shutting down the write side of %s: %s", sock_path, strerror(errno));
					sock_writable = 0;
				}
				if (write_marker() < 0)
					return 0;
			} else if (sock_writable) {
				in_len = (size_t)n;
			}
			/* else: conmon takes no more input; what the caller still writes is dropped. */
		}
	}
}
