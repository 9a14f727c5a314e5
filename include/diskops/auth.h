#ifndef DISKOPS_AUTH_H
#define DISKOPS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diskops/store_serve.h"

/*
 * Who may call the API: operators with a JWT (HS256 under a key kept 0600 in the state
 * dir, a role of viewer, operator or admin), and CI workers with an opaque swt_ token
 * of which only the SHA-256 is stored.
 */

typedef enum { DK_ROLE_VIEWER = 0, DK_ROLE_OPERATOR, DK_ROLE_ADMIN } dk_role;

int dk_role_parse(dk_role *out, const char *name);
const char *dk_role_name(dk_role role);
/* Whether the role holds a permission such as "system.platforms.update". */
bool dk_role_allows(dk_role role, const char *permission);

#define DK_AUTH_KEY_FILE "jwt.key"

/* <state_dir>/jwt.key: 32 random bytes, created 0600 on first use; refused when group-
 * or world-readable. */
int dk_auth_key_load(unsigned char **out, size_t *out_len, const char *state_dir);

typedef struct {
	char *subject;                  /* the token's name */
	char *account_id;
	dk_role role;
	int64_t expires_at;
} dk_auth_claims;

void dk_auth_claims_clear(dk_auth_claims *c);

int dk_auth_token_issue(char **out, const unsigned char *key, size_t key_len, const char *name,
			const char *account_id, dk_role role, int64_t ttl_seconds);
/* DK_EAUTH for a bad signature, another algorithm, a malformed or an expired token. */
int dk_auth_token_verify(dk_auth_claims *out, const unsigned char *key, size_t key_len,
			 const char *token);

/* --- CI workers; tokens come back once in *out_token (caller frees) --- */
int dk_worker_create(dk_store *store, dk_worker **out, char **out_token, const char *account_id,
		     const char *name, const char *actor);
/* New token, old one dead at once; a revoked worker stays revoked. */
int dk_worker_rotate(dk_store *store, dk_worker **out, char **out_token, const char *account_id,
		     const char *id_or_name, const char *actor);
int dk_worker_revoke(dk_store *store, dk_worker **out, const char *account_id,
		     const char *id_or_name, const char *actor);
/*
 * Ends a CI worker for good: its token stops working at once (status revoked, as revoke
 * does), it is marked terminated (never rotated or reactivated), and any job it holds
 * leased goes back to the queue now. Works on a revoked worker (by id) too; DK_ESTATE
 * when it is terminated already. Gitea is not touched: the secret holding the token
 * stays until bootstrap rotates it. *released counts the jobs put back.
 */
int dk_worker_terminate(dk_store *store, dk_worker **out, int *released, const char *account_id,
			const char *id_or_name, const char *actor);
/* The active worker holding token; touches last_seen_at. DK_EAUTH otherwise. */
int dk_worker_authenticate(dk_store *store, dk_worker **out, const char *token);

#endif
