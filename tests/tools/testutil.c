#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

char *
tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/diskops-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void
tu_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int
tu_write_file(const char *path, const char *data, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	size_t len = strlen(data);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	fchmod(fd, (mode_t)mode);
	return close(fd);
}

char *
tu_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static void
append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

int
tu_run(tu_run_result *r, const char *const *argv, const char *const *env, const char *input)
{
	int out[2], err[2], in[2], status;
	size_t out_len = 0, err_len = 0, in_off = 0, in_len = input ? strlen(input) : 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	if (pipe(out) || pipe(err) || pipe(in))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[1]); close(out[0]); close(err[0]);
		for (size_t i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]); close(out[1]); close(err[1]);
	if (in_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = out[0], .events = POLLIN },
			{ .fd = err[0], .events = POLLIN },
			{ .fd = in[1], .events = POLLOUT },
		};
		char buf[8192];
		ssize_t n;

		if (p[0].fd < 0 && p[1].fd < 0)
			break;
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd >= 0 && p[i].revents) {
				n = read(p[i].fd, buf, sizeof(buf));
				if (n <= 0) {
					close(p[i].fd);
					if (i == 0) out[0] = -1; else err[0] = -1;
				} else if (i == 0) {
					append(&r->out, &out_len, buf, (size_t)n);
				} else {
					append(&r->err, &err_len, buf, (size_t)n);
				}
			}
		}
		if (in[1] >= 0 && p[2].revents) {
			n = write(in[1], input + in_off, in_len - in_off);
			if (n > 0)
				in_off += (size_t)n;
			if (n <= 0 || in_off == in_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	waitpid(pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r->status;
}

void
tu_run_result_free(tu_run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *
tu_sigstore_path(const char *rel)
{
	const char *shared = getenv("DISKOPS_SHARED");
	char *p;

	if (asprintf(&p, "%s/reference/sigstore/%s", shared && *shared ? shared : "../shared", rel) < 0)
		return NULL;
	return p;
}

char *
tu_sigstore_read(const char *rel, size_t *len)
{
	char *path = tu_sigstore_path(rel), *data = path ? tu_read_file(path, len) : NULL;

	free(path);
	return data;
}
