#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include <curses.h>
#include <term.h>

#include "terminal.h"
#include "diskops/error.h"

static struct term_opts opts;
static bool color_on;
static int attrs[ST__COUNT];
static volatile sig_atomic_t resized, quit_requested;
static int wake_fd = -1;
static struct termios saved_tio;
static bool have_tio, active;
/* Written from the fatal-signal handler, so prepared while it is still safe. */
static char reset_seq[128];
static size_t reset_len;

static const char *const glyphs_utf8[G__COUNT] = { "…", "│", "●", "✓", "✗", "›",
						      "─", "│", "┌", "┐", "└", "┘" };
static const char *const glyphs_ascii[G__COUNT] = { "~", "|", "*", "+", "x", ">",
						       "-", "|", "+", "+", "+", "+" };

bool
term_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

const char *
term_glyph(enum glyph g)
{
	return (opts.ascii ? glyphs_ascii : glyphs_utf8)[g];
}

int
term_attr(enum style st)
{
	return attrs[st];
}

static void
wake(void)
{
	int saved = errno;

	if (wake_fd >= 0 && write(wake_fd, "", 1) < 0) {
		/* full pipe: a wake-up is pending anyway */
	}
	errno = saved;
}

static void
on_winch(int sig)
{
	(void)sig;
	resized = 1;
	wake();
}

static void
on_quit(int sig)
{
	(void)sig;
	quit_requested = 1;
	wake();
}

/* Only async-signal-safe calls: put the terminal back, then die as the signal says. */
static void
on_fatal(int sig)
{
	if (active) {
		if (write(STDOUT_FILENO, reset_seq, reset_len) < 0) {
			/* nothing more we can do */
		}
		if (have_tio)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
add_cap(const char *cap)
{
	char *s = tigetstr((char *)cap);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (reset_len + n < sizeof(reset_seq)) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

static void
install_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* Installed before initscr so that ncurses leaves SIGWINCH to us. */
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

static void
setup_styles(void)
{
	attrs[ST_NORMAL] = A_NORMAL;
	attrs[ST_BAR] = A_REVERSE;
	attrs[ST_HEADER] = A_BOLD | A_UNDERLINE;
	attrs[ST_SELECTED] = A_REVERSE;
	attrs[ST_GROUP] = A_BOLD;
	attrs[ST_MATCH] = A_BOLD | A_UNDERLINE;
	/* Monochrome still tells states apart, by weight; the text says it too. */
	attrs[ST_GOOD] = A_NORMAL;
	attrs[ST_WARN] = A_BOLD;
	attrs[ST_BAD] = A_BOLD;
	attrs[ST_DIM] = A_DIM;
	if (!color_on)
		return;
	/* Foregrounds only, on the terminal's own background: readable on light and dark. */
	init_pair(1, COLOR_GREEN, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_RED, -1);
	init_pair(4, COLOR_CYAN, -1);
	attrs[ST_GOOD] = (int)COLOR_PAIR(1);
	attrs[ST_WARN] = (int)COLOR_PAIR(2);
	attrs[ST_BAD] = (int)(COLOR_PAIR(3) | A_BOLD);
	attrs[ST_GROUP] = (int)(COLOR_PAIR(4) | A_BOLD);
}

#define ANSI_PAIR_BASE 16

int
term_ansi_attr(int fg, int bg)
{
	static bool made[81];
	int idx, pair;

	if (!color_on || (fg < 0 && bg < 0) || fg > 7 || bg > 7)
		return 0;
	idx = (fg + 1) * 9 + (bg + 1);
	pair = ANSI_PAIR_BASE + idx;
	if (pair >= COLOR_PAIRS)
		return 0;
	/* Pairs are made on first use: most logs use three or four colours. */
	if (!made[idx]) {
		init_pair((short)pair, (short)fg, (short)bg);
		made[idx] = true;
	}
	return (int)COLOR_PAIR(pair);
}

/*
 * Home, End and Delete as the terminals people use send them, not only as TERM's entry
 * says: under tmux or screen with TERM=xterm-256color, over SSH from rxvt, Home arrives
 * as ESC [ 1 ~ and would otherwise be read as Esc (closing a dialog) and three keys.
 */
static void
alternate_keys(void)
{
	static const struct {
		const char *seq;
		int key;
	} alt[] = {
		{ "\033[1~", KEY_HOME }, { "\033[7~", KEY_HOME }, { "\033[H", KEY_HOME },
		{ "\033OH", KEY_HOME }, { "\033[4~", KEY_END }, { "\033[8~", KEY_END },
		{ "\033[F", KEY_END }, { "\033OF", KEY_END }, { "\033[3~", KEY_DC },
	};

	for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++) {
		if (key_defined(alt[i].seq) == 0)
			define_key(alt[i].seq, alt[i].key);
	}
}

int
term_init(const struct term_opts *o, int fd)
{
	opts = *o;
	wake_fd = fd;
	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
		have_tio = true;
	/* Esc must feel instant; the user's ESCDELAY still wins. */
	if (!getenv("ESCDELAY"))
		setenv("ESCDELAY", "25", 1);
	install_signals();
	if (!initscr())
		return dk_error_set(DK_EIO, "cannot initialise the terminal");
	active = true;
	/*
	 * ncurses 6.4 flushes after every cursor movement until the screen has once been
	 * suspended and resumed (its _endwin flag stays "initial"): a full screen went out
	 * as ~100 small writes, ~100 packets over SSH. One suspend and resume before
	 * anything is drawn makes it buffer a whole update into a few writes.
	 */
	endwin();
	doupdate();
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmcup");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	alternate_keys();
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(getenv("ESCDELAY") ? atoi(getenv("ESCDELAY")) : 25);
	if (!opts.no_color && has_colors()) {
		start_color();
		use_default_colors();
		color_on = true;
	}
	mousemask(opts.mouse ? (BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED) : 0, NULL);
	setup_styles();
	return 0;
}

void
term_end(void)
{
	if (!active)
		return;
	endwin();
	active = false;
}

bool
term_take_resize(void)
{
	struct winsize ws;

	if (!resized)
		return false;
	resized = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	return true;
}

bool
term_take_quit(void)
{
	return quit_requested != 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
base64(const char *in)
{
	size_t n = strlen(in), o = 0;
	char *out = malloc((n + 2) / 3 * 4 + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

void
term_osc52(const char *text)
{
	char *enc = base64(text);

	if (!enc)
		return;
	/* Straight to the tty, after curses has flushed its own output. */
	fflush(stdout);
	/* tmux takes the plain form itself with set-clipboard on; the wrapped form passes
	 * through to the outer terminal when allow-passthrough is on. */
	dprintf(STDOUT_FILENO, "\033]52;c;%s\a", enc);
	if (getenv("TMUX") && *getenv("TMUX"))
		dprintf(STDOUT_FILENO, "\033Ptmux;\033\033]52;c;%s\a\033\\", enc);
	free(enc);
}

int
term_save_display(const char *path)
{
	FILE *f = fopen(path, "we");
	wchar_t line[1024];
	char mb[MB_LEN_MAX];
	int rows, cols;

	if (!f)
		return dk_error_set(DK_EIO, "%s: %s", path, strerror(errno));
	getmaxyx(stdscr, rows, cols);
	if (cols > (int)(sizeof(line) / sizeof(line[0])) - 1)
		cols = (int)(sizeof(line) / sizeof(line[0])) - 1;
	for (int y = 0; y < rows; y++) {
		int n = mvwinnwstr(stdscr, y, 0, line, cols);
		mbstate_t st;

		if (n < 0)
			n = 0;
		line[n] = L'\0';
		while (n > 0 && line[n - 1] == L' ')
			line[--n] = L'\0';
		memset(&st, 0, sizeof(st));
		for (int i = 0; i < n; i++) {
			size_t k = wcrtomb(mb, line[i], &st);

			if (k == (size_t)-1)
				fputc('?', f);
			else
				fwrite(mb, 1, k, f);
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return dk_error_set(DK_EIO, "%s: %s", path, strerror(errno));
	return 0;
}
