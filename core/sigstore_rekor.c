#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigstore_int.h"

/* RFC 9162 §2.1.3.2. Returns 1 when the audit path leads to `root`. */
int
sg_merkle_verify(const unsigned char leaf[32], int64_t index, int64_t size,
	unsigned char (*hashes)[32], size_t n, const unsigned char root[32])
{
	unsigned char r[32], buf[65];
	uint64_t fn, sn;

	if (index < 0 || size <= 0 || index >= size)
		return 0;
	fn = (uint64_t)index;
	sn = (uint64_t)size - 1;
	memcpy(r, leaf, 32);
	buf[0] = 0x01;
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			memcpy(buf + 1, hashes[i], 32);
			memcpy(buf + 33, r, 32);
			sg_sha256(r, buf, 65);
			if (!(fn & 1)) {
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			memcpy(buf + 1, r, 32);
			memcpy(buf + 33, hashes[i], 32);
			sg_sha256(r, buf, 65);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

static int
is_v1_origin(const char *origin, size_t len)
{
	size_t i = len;

	/* sigstore-go: a Rekor v1 checkpoint origin ends in " - <tree id>". */
	while (i > 0 && origin[i - 1] >= '0' && origin[i - 1] <= '9')
		i--;
	return i < len && i >= 3 && memcmp(origin + i - 3, " - ", 3) == 0;
}

static void
ed25519_hint(unsigned char out[4], const char *name, size_t name_len, EVP_PKEY *key)
{
	unsigned char raw[32], h[32], *buf;
	size_t raw_len = sizeof(raw);

	memset(out, 0, 4);
	if (EVP_PKEY_get_raw_public_key(key, raw, &raw_len) != 1 || raw_len != 32)
		return;
	buf = malloc(name_len + 2 + 32);
	if (!buf)
		return;
	memcpy(buf, name, name_len);
	buf[name_len] = '\n';
	buf[name_len + 1] = 0x01;
	memcpy(buf + name_len + 2, raw, 32);
	sg_sha256(h, buf, name_len + 34);
	memcpy(out, h, 4);
	free(buf);
}

/*
 * A signed note (C2SP): body lines origin / size / base64 root / extensions, a blank
 * line, then "— <name> <base64(4-byte hint || signature)>" lines. Rekor v1 notes carry
 * one signature and every line must be the log's; v2 notes may carry witness
 * cosignatures, which are ignored, and need one valid line named after the origin.
 */
int
sg_checkpoint_verify(const sg_log *log, const char *note, int64_t tree_size,
	const unsigned char root_hash[32], char *why, size_t why_len)
{
	static const char dash[] = "\xe2\x80\x94 ";
	const char *sep = strstr(note, "\n\n"), *p, *nl;
	size_t body_len, origin_len;
	char size_line[32];
	sg_buf root = { 0 };
	int v1, good = 0, rc = -1;
	long long size;
	char *end;

	if (!sep) {
		snprintf(why, why_len, "checkpoint has no signature block");
		return -1;
	}
	body_len = (size_t)(sep - note) + 1;
	nl = memchr(note, '\n', body_len);
	origin_len = (size_t)(nl - note);
	if (origin_len == 0) {
		snprintf(why, why_len, "checkpoint has no origin line");
		return -1;
	}
	p = nl + 1;
	nl = memchr(p, '\n', body_len - (size_t)(p - note));
	if (!nl || nl == p || (size_t)(nl - p) >= sizeof(size_line)) {
		snprintf(why, why_len, "checkpoint has no tree size line");
		return -1;
	}
	memcpy(size_line, p, (size_t)(nl - p));
	size_line[nl - p] = '\0';
	size = strtoll(size_line, &end, 10);
	if (*end || size_line[0] < '0' || size_line[0] > '9') {
		snprintf(why, why_len, "checkpoint tree size \"%s\" is not a number", size_line);
		return -1;
	}
	p = nl + 1;
	nl = memchr(p, '\n', body_len - (size_t)(p - note));
	if (!nl || nl == p || sg_b64_decode(&root, p, (size_t)(nl - p), "checkpoint root hash") < 0 ||
	    root.len != 32) {
		snprintf(why, why_len, "checkpoint has no valid root hash line");
		goto done;
	}
	if (size != tree_size || memcmp(root.data, root_hash, 32) != 0) {
		snprintf(why, why_len, "checkpoint (size %lld) does not match the inclusion proof (size %lld, root hash)",
			size, (long long)tree_size);
		goto done;
	}
	v1 = is_v1_origin(note, origin_len);
	snprintf(why, why_len, "checkpoint has no valid signature from log %s",
		log->host ? log->host : "(trusted root)");
	for (p = sep + 2; *p; p = nl ? nl + 1 : p + strlen(p)) {
		const char *name, *sp;
		unsigned char hint[4];
		sg_buf sig = { 0 };

		nl = strchr(p, '\n');
		if (nl == p)
			continue;
		if (strncmp(p, dash, sizeof(dash) - 1) != 0) {
			snprintf(why, why_len, "checkpoint signature line is malformed");
			good = 0;
			break;
		}
		name = p + sizeof(dash) - 1;
		sp = memchr(name, ' ', (size_t)((nl ? nl : name + strlen(name)) - name));
		if (!sp || sg_b64_decode(&sig, sp + 1, (size_t)((nl ? nl : sp + strlen(sp)) - sp - 1),
				"checkpoint signature") < 0 || sig.len <= 4) {
			sg_buf_free(&sig);
			snprintf(why, why_len, "checkpoint signature line is malformed");
			good = 0;
			break;
		}
		if (v1 || !log->ed25519)
			memcpy(hint, log->spki_hint, 4);
		else
			ed25519_hint(hint, name, (size_t)(sp - name), log->key);
		if (memcmp(sig.data, hint, 4) != 0) {
			sg_buf_free(&sig);
			if (v1) {
				snprintf(why, why_len, "checkpoint signature key hint does not match the log");
				good = 0;
				break;
			}
			continue;
		}
		if (!v1 && ((size_t)(sp - name) != origin_len || memcmp(name, note, origin_len) != 0)) {
			sg_buf_free(&sig);
			continue;
		}
		if (sg_verify_sig(log->key, (const unsigned char *)note, body_len, sig.data + 4, sig.len - 4)) {
			good = 1;
		} else if (v1) {
			snprintf(why, why_len, "checkpoint signature invalid");
			sg_buf_free(&sig);
			good = 0;
			break;
		}
		sg_buf_free(&sig);
	}
	if (good)
		rc = 0;
done:
	sg_buf_free(&root);
	return rc;
}

/* The JCS (RFC 8785) form of {body, integratedTime, logID, logIndex}: keys already sorted. */
static int
verify_set(const sg_log *log, const sg_tlog_entry *e)
{
	char *body = NULL, *msg = NULL, hex[65];
	int n, ok = 0;

	if (sg_b64_encode(&body, e->body.data, e->body.len) < 0)
		return 0;
	sg_hex(hex, e->log_id, e->log_id_len);
	n = asprintf(&msg, "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}",
		body, (long long)e->integrated_time, hex, (long long)e->log_index);
	if (n > 0)
		ok = sg_verify_sig(log->key, (unsigned char *)msg, (size_t)n, e->set.data, e->set.len);
	free(body);
	free(msg);
	return ok;
}

static int
verify_entry(sg_ctx *c, const sg_tlog_entry *e, int *set_ok, char *why, size_t why_len)
{
	const sg_log *log = sg_root_tlog(c->v->root, e->log_id, e->log_id_len);
	unsigned char leaf[32], *buf;

	*set_ok = 0;
	if (!log) {
		char hex[65];

		sg_hex(hex, e->log_id, e->log_id_len);
		snprintf(why, why_len, "tlog entry %lld: log %s is not in the trusted root",
			(long long)e->log_index, hex);
		return -1;
	}
	if (e->integrated_time && !sg_window_has(&log->valid, e->integrated_time)) {
		snprintf(why, why_len, "tlog entry %lld: integrated time %lld is outside the validity of log %s",
			(long long)e->log_index, (long long)e->integrated_time, log->host ? log->host : "");
		return -1;
	}
	if (sg_verify_entry_body(c, e, why, why_len) < 0)
		return -1;
	if (e->set.len) {
		if (!verify_set(log, e)) {
			snprintf(why, why_len, "SET signature invalid (tlog entry %lld)", (long long)e->log_index);
			return -1;
		}
		*set_ok = 1;
	}
	if (e->has_proof) {
		buf = malloc(e->body.len + 1);
		if (!buf) {
			snprintf(why, why_len, "out of memory");
			return -1;
		}
		buf[0] = 0x00;
		memcpy(buf + 1, e->body.data, e->body.len);
		sg_sha256(leaf, buf, e->body.len + 1);
		free(buf);
		if (!sg_merkle_verify(leaf, e->proof_index, e->tree_size, e->hashes, e->n_hashes, e->root_hash)) {
			snprintf(why, why_len, "inclusion proof invalid (tlog entry %lld)", (long long)e->log_index);
			return -1;
		}
		if (e->checkpoint && sg_checkpoint_verify(log, e->checkpoint, e->tree_size, e->root_hash,
				why, why_len) < 0)
			return -1;
	}
	if (!*set_ok && !e->has_proof) {
		snprintf(why, why_len, "tlog entry %lld has neither a SET nor an inclusion proof",
			(long long)e->log_index);
		return -1;
	}
	return 0;
}

int
sg_verify_tlog(sg_ctx *c)
{
	char first[256] = "", why[256];
	int set_ok;

	if (c->v->tlog == DK_SIGSTORE_TLOG_IGNORE)
		return 0;
	for (size_t i = 0; i < c->m->n_entries; i++) {
		const sg_tlog_entry *e = &c->m->entries[i];

		why[0] = '\0';
		if (verify_entry(c, e, &set_ok, why, sizeof(why)) < 0) {
			if (!first[0])
				snprintf(first, sizeof(first), "%s", why);
			continue;
		}
		c->tlog_verified++;
		if (c->log_index < 0)
			c->log_index = e->log_index;
		/* Only a SET makes integratedTime a trusted time; a proof alone does not. */
		if (set_ok && e->integrated_time) {
			c->times[c->n_times++] = e->integrated_time;
			if (!c->integrated_time)
				c->integrated_time = e->integrated_time;
		}
	}
	if (c->tlog_verified)
		return 0;
	if (c->m->n_entries)
		return sg_fail(c, DK_EVERIFY, "%s", first);
	if (c->v->tlog == DK_SIGSTORE_TLOG_REQUIRED)
		return sg_fail(c, DK_EVERIFY, "no transparency log entry, and the policy requires one");
	return 0;
}
