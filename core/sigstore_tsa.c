/*
 * RFC 3161 timestamps (cosign-verify.md §2 step 2): the token must be signed by a
 * timestamp authority of the trusted root, valid at its own genTime, over the
 * signature bytes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ts.h>

#include "sigstore_int.h"

static int
asn1_time_unix(int64_t *out, const ASN1_GENERALIZEDTIME *g)
{
	struct tm tm;

	if (!g || ASN1_TIME_to_tm(g, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int
verify_with(const sg_ca *tsa, TS_RESP *resp, PKCS7 *token, int64_t t,
	const unsigned char *data, size_t data_len)
{
	TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = X509_chain_up_ref(tsa->intermediates);
	BIO *bio = BIO_new_mem_buf(data, (int)data_len);
	int ok = 0;

	if (!ctx || !store || !certs || !bio || X509_STORE_add_cert(store, tsa->anchor) != 1)
		goto fail;
	/* The TSA chain is checked at genTime: an expired TSA certificate still vouches for
	 * what it signed while valid (rekor2-timestamp-with-expired-cert-chain). */
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)t);
	X509_STORE_set_verify(store, sg_verify_built_chain);
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_SIGNATURE | TS_VFY_DATA);
	TS_VERIFY_CTX_set_store(ctx, store);
	TS_VERIFY_CTX_set_certs(ctx, certs);
	TS_VERIFY_CTX_set_data(ctx, bio);
	ok = resp ? TS_RESP_verify_response(ctx, resp) == 1 : TS_RESP_verify_token(ctx, token) == 1;
	TS_VERIFY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
fail:
	TS_VERIFY_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	ERR_clear_error();
	return 0;
}

int
sg_tsa_verify(const dk_sigstore_root *root, const unsigned char *der, size_t len,
	const unsigned char *data, size_t data_len, int64_t *out_time, char *why, size_t why_len)
{
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)len);
	PKCS7 *token = NULL;
	TS_TST_INFO *info = NULL, *owned_info = NULL;
	int64_t t;
	int ok = 0;

	if (resp) {
		long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));

		if (status != 0 && status != 1) {
			snprintf(why, why_len, "RFC 3161 timestamp response has status %ld", status);
			goto done;
		}
		token = TS_RESP_get_token(resp);
		info = TS_RESP_get_tst_info(resp);
	} else {
		/* Some producers store the bare token (ContentInfo) instead of the response. */
		p = der;
		token = d2i_PKCS7(NULL, &p, (long)len);
		if (token)
			info = owned_info = PKCS7_to_TS_TST_INFO(token);
	}
	if (!token || !info || asn1_time_unix(&t, TS_TST_INFO_get_time(info)) < 0) {
		snprintf(why, why_len, "RFC 3161 timestamp is malformed");
		goto done;
	}
	*out_time = t;
	snprintf(why, why_len, "RFC 3161 timestamp is not from a timestamp authority of the trusted root");
	for (size_t i = 0; i < root->n_tsas && !ok; i++) {
		if (!sg_window_has(&root->tsas[i].valid, t)) {
			snprintf(why, why_len, "RFC 3161 timestamp time %lld is outside the validity of every trusted TSA",
				(long long)t);
			continue;
		}
		ok = verify_with(&root->tsas[i], resp, token, t, data, data_len);
	}
	if (!ok && root->n_tsas && strstr(why, "outside") == NULL)
		snprintf(why, why_len, "RFC 3161 timestamp does not verify: not signed by a trusted TSA, "
			"or not over this signature");
done:
	if (!resp)
		PKCS7_free(token);
	TS_TST_INFO_free(owned_info);
	TS_RESP_free(resp);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/*
 * Timestamps that do not verify are skipped, as sigstore-go and sigstore-python do (a
 * bundle may carry one over other data); but a bundle whose every timestamp fails
 * is refused with the first reason rather than silently treated as untimestamped.
 */
int
sg_verify_timestamps(sg_ctx *c)
{
	char why[256], first[256] = "";
	size_t good = 0;

	for (size_t i = 0; i < c->m->n_timestamps; i++) {
		int64_t t = 0;

		if (sg_tsa_verify(c->v->root, c->m->timestamps[i].data, c->m->timestamps[i].len,
				c->m->sig.data, c->m->sig.len, &t, why, sizeof(why)) < 0) {
			if (!first[0])
				snprintf(first, sizeof(first), "%s", why);
			continue;
		}
		good++;
		c->times[c->n_times++] = t;
		if (!c->signed_time)
			c->signed_time = t;
	}
	if (c->m->n_timestamps && !good)
		return sg_fail(c, DK_EVERIFY, "%s", first);
	return 0;
}
