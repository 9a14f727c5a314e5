#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "diskops/auth.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/uuid.h"

#define KEY_LEN 32
#define ISSUER "diskops"

static const char *const role_names[] = { "viewer", "operator", "admin" };

/* The least role holding each permission (powernode-behaviour.md §17 names). */
static const struct {
	const char *permission;
	dk_role least;
} grants[] = {
	{ "system.platforms.read", DK_ROLE_VIEWER },
	{ "system.disk_image_webhooks.read", DK_ROLE_VIEWER },
	{ "system.ci_workers.read", DK_ROLE_VIEWER },
	{ "system.events.read", DK_ROLE_VIEWER },
	{ "system.platforms.update", DK_ROLE_OPERATOR },
	{ "system.platforms.manage_disk_image_policy", DK_ROLE_OPERATOR },
	{ "system.platforms.rollback_disk_image", DK_ROLE_OPERATOR },
	{ "system.disk_image_webhooks.create", DK_ROLE_ADMIN },
	{ "system.disk_image_webhooks.delete", DK_ROLE_ADMIN },
	{ "system.disk_image_webhooks.rotate_secret", DK_ROLE_ADMIN },
	{ "system.ci_workers.create", DK_ROLE_ADMIN },
	{ "system.ci_workers.delete", DK_ROLE_ADMIN },
	{ "system.ci_workers.rotate_token", DK_ROLE_ADMIN },
};

int
dk_role_parse(dk_role *out, const char *name)
{
	for (int i = 0; i < 3; i++) {
		if (name && strcmp(name, role_names[i]) == 0) {
			*out = (dk_role)i;
			return 0;
		}
	}
	return dk_error_set(DK_EINVALID, "role \"%s\" is not one of viewer, operator, admin",
			    name ? name : "");
}

const char *
dk_role_name(dk_role role)
{
	return (unsigned)role < 3 ? role_names[role] : "unknown";
}

bool
dk_role_allows(dk_role role, const char *permission)
{
	for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		if (strcmp(grants[i].permission, permission) == 0)
			return role >= grants[i].least;
	}
	return false;
}

static int
read_key(unsigned char *key, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? DK_ENOTFOUND : dk_error_set(DK_EIO, "%s: %m", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = dk_error_set(DK_EIO, "%s is not a regular file", path);
	} else if (st.st_mode & 077) {
		rc = dk_error_set(DK_EAUTH, "token key %s is accessible by group or others (mode "
				  "%04o): run chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
	} else if (st.st_size != KEY_LEN || read(fd, key, KEY_LEN) != KEY_LEN) {
		rc = dk_error_set(DK_ESTORE, "token key %s is not %d bytes", path, KEY_LEN);
	}
	close(fd);
	return rc;
}

int
dk_auth_key_load(unsigned char **out, size_t *out_len, const char *state_dir)
{
	unsigned char *key = malloc(KEY_LEN);
	char *path = NULL, *tmp = NULL;
	int fd = -1, rc;

	*out = NULL;
	*out_len = 0;
	if (!key || asprintf(&path, "%s/%s", state_dir, DK_AUTH_KEY_FILE) < 0 ||
	    asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = read_key(key, path)) != DK_ENOTFOUND)
		goto done;
	/* Written aside and linked into place: two first users agree on one key. */
	if (RAND_bytes(key, KEY_LEN) != 1) {
		rc = dk_error_set(DK_ERROR, "random number generator failed");
		goto done;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, key, KEY_LEN) != KEY_LEN || fsync(fd) != 0) {
		rc = dk_error_set(DK_EIO, "%s: cannot write: %m", tmp);
		goto done;
	}
	if (link(tmp, path) != 0 && errno != EEXIST) {
		rc = dk_error_set(DK_EIO, "%s: %m", path);
		goto done;
	}
	rc = read_key(key, path);
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(path);
	free(tmp);
	if (rc < 0) {
		if (key)
			OPENSSL_cleanse(key, KEY_LEN);
		free(key);
		return rc;
	}
	*out = key;
	*out_len = KEY_LEN;
	return 0;
}

void
dk_auth_claims_clear(dk_auth_claims *c)
{
	free(c->subject);
	free(c->account_id);
	memset(c, 0, sizeof(*c));
}

int
dk_auth_token_issue(char **out, const unsigned char *key, size_t key_len, const char *name,
		    const char *account_id, dk_role role, int64_t ttl)
{
	char jti[DK_UUID_LEN + 1];
	int64_t now = dk_clock_now();
	jwt_t *jwt = NULL;
	int rc = 0;

	*out = NULL;
	dk_uuid_v4(jti);
	if (jwt_new(&jwt) != 0 ||
	    jwt_add_grant(jwt, "iss", ISSUER) != 0 ||
	    jwt_add_grant(jwt, "sub", name) != 0 ||
	    jwt_add_grant(jwt, "acct", account_id) != 0 ||
	    jwt_add_grant(jwt, "role", dk_role_name(role)) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + ttl)) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0 ||
	    !(*out = jwt_encode_str(jwt)))
		rc = dk_error_set(DK_ERROR, "cannot sign the token");
	jwt_free(jwt);
	return rc;
}

int
dk_auth_token_verify(dk_auth_claims *out, const unsigned char *key, size_t key_len,
		     const char *token)
{
	jwt_t *jwt = NULL;
	const char *sub, *acct, *role, *iss;
	long exp;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!token || !*token || jwt_decode(&jwt, token, key, (int)key_len) != 0 || !jwt) {
		rc = dk_error_set(DK_EAUTH, "invalid token");
		goto done;
	}
	/* Only what we issue: an "alg":"none" or RSA token is refused whatever it says. */
	if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
		rc = dk_error_set(DK_EAUTH, "invalid token");
		goto done;
	}
	iss = jwt_get_grant(jwt, "iss");
	sub = jwt_get_grant(jwt, "sub");
	acct = jwt_get_grant(jwt, "acct");
	role = jwt_get_grant(jwt, "role");
	exp = jwt_get_grant_int(jwt, "exp");
	if (!iss || strcmp(iss, ISSUER) != 0 || !sub || !acct || !role ||
	    dk_role_parse(&out->role, role) < 0 || exp <= 0) {
		rc = dk_error_set(DK_EAUTH, "invalid token");
		goto done;
	}
	if ((int64_t)exp <= dk_clock_now()) {
		rc = dk_error_set(DK_EAUTH, "token expired");
		goto done;
	}
	out->subject = strdup(sub);
	out->account_id = strdup(acct);
	out->expires_at = exp;
	if (!out->subject || !out->account_id)
		rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	jwt_free(jwt);
	if (rc < 0)
		dk_auth_claims_clear(out);
	return rc;
}
