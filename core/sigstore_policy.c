/*
 * Certificate identity and OIDC issuer (cosign-verify.md §2 step 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sigstore_int.h"

#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"
#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"
#define OID_OTHERNAME "1.3.6.1.4.1.57264.1.7"

typedef struct {
	char *value[16];
	int primary;   /* sigstore-go's one SAN: first URI, else email, else OtherName */
	size_t n;
} san_list;

static void
sans_free(san_list *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->value[i]);
}

/* ASN.1 string → C string; NUL bytes inside are refused so strcmp cannot be fooled. */
static char *
asn1_dup(const ASN1_STRING *a)
{
	const unsigned char *d = ASN1_STRING_get0_data(a);
	int n = ASN1_STRING_length(a);

	if (!d || n < 0 || memchr(d, 0, (size_t)n))
		return NULL;
	return strndup((const char *)d, (size_t)n);
}

static int
collect_sans(san_list *s, X509 *leaf)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	int uri = -1, email = -1, other = -1;
	ASN1_OBJECT *on = OBJ_txt2obj(OID_OTHERNAME, 1);

	s->n = 0;
	s->primary = -1;
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && s->n < 16; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char *v = NULL;

		switch (g->type) {
		case GEN_URI:
			v = asn1_dup(g->d.uniformResourceIdentifier);
			if (v && uri < 0)
				uri = (int)s->n;
			break;
		case GEN_EMAIL:
			v = asn1_dup(g->d.rfc822Name);
			if (v && email < 0)
				email = (int)s->n;
			break;
		case GEN_DNS:
			v = asn1_dup(g->d.dNSName);
			break;
		case GEN_OTHERNAME:
			if (on && OBJ_cmp(g->d.otherName->type_id, on) == 0 &&
			    g->d.otherName->value->type == V_ASN1_UTF8STRING) {
				v = asn1_dup(g->d.otherName->value->value.utf8string);
				if (v && other < 0)
					other = (int)s->n;
			}
			break;
		default:
			break;
		}
		if (v)
			s->value[s->n++] = v;
	}
	s->primary = uri >= 0 ? uri : email >= 0 ? email : other;
	GENERAL_NAMES_free(names);
	ASN1_OBJECT_free(on);
	return 0;
}

static const ASN1_OCTET_STRING *
ext_value(X509 *leaf, const char *oid)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int idx = o ? X509_get_ext_by_OBJ(leaf, o, -1) : -1;

	ASN1_OBJECT_free(o);
	return idx >= 0 ? X509_EXTENSION_get_data(X509_get_ext(leaf, idx)) : NULL;
}

/* .1.8 is a DER UTF8String; .1.1 (older certificates) holds the raw bytes. */
static int
cert_issuer(char **out, X509 *leaf)
{
	const ASN1_OCTET_STRING *v2 = ext_value(leaf, OID_ISSUER_V2), *v1 = ext_value(leaf, OID_ISSUER_V1);
	char *a = NULL, *b = NULL;

	*out = NULL;
	if (v2) {
		const unsigned char *p = ASN1_STRING_get0_data(v2);
		long len = ASN1_STRING_length(v2);
		ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, len);

		if (!u || p != ASN1_STRING_get0_data(v2) + len || !(a = asn1_dup(u))) {
			ASN1_UTF8STRING_free(u);
			return -1;
		}
		ASN1_UTF8STRING_free(u);
	}
	if (v1 && !(b = asn1_dup(v1))) {
		free(a);
		return -1;
	}
	if (a && b && strcmp(a, b) != 0) {
		free(a);
		free(b);
		return -1;
	}
	*out = a ? a : b;
	if (a)
		free(b);
	return 0;
}

static int
matches(const char *exact, const sg_regex *re, const char *value)
{
	if (exact)
		return strcmp(exact, value) == 0;
	return re && sg_regex_match(re, value, strlen(value)) == 1;
}

int
sg_verify_identity(sg_ctx *c, char **identity_out, char **issuer_out)
{
	const dk_sigstore_verifier *v = c->v;
	const char *want = v->identity ? v->identity : v->identity_re_src;
	const char *want_iss = v->issuer ? v->issuer : v->issuer_re_src;
	san_list s;
	char *issuer = NULL;
	int hit = -1, rc = 0;

	*identity_out = *issuer_out = NULL;
	collect_sans(&s, c->m->leaf);
	ERR_clear_error();
	if (s.primary < 0 && !(c->legacy && s.n)) {
		rc = sg_fail(c, DK_EVERIFY, "signing certificate has no URI, email or OtherName SAN");
		goto done;
	}
	if (cert_issuer(&issuer, c->m->leaf) < 0) {
		rc = sg_fail(c, DK_EVERIFY, "signing certificate OIDC issuer extensions are malformed or disagree");
		goto done;
	}
	if (c->legacy) {
		/* Legacy cosign accepts any SAN of the certificate. */
		for (size_t i = 0; i < s.n && hit < 0; i++) {
			if (matches(v->identity, v->identity_re, s.value[i]))
				hit = (int)i;
		}
	} else if (matches(v->identity, v->identity_re, s.value[s.primary])) {
		hit = s.primary;
	}
	if (hit < 0) {
		rc = sg_fail(c, DK_EVERIFY, "certificate identity \"%s\" does not match %s\"%s\"",
			s.value[s.primary >= 0 ? s.primary : 0], v->identity ? "" : "regexp ", want);
		goto done;
	}
	/* cosign reads a missing issuer as "": only a policy that accepts "" passes. */
	if (!issuer && !(issuer = strdup(""))) {
		rc = sg_fail(c, DK_ENOMEM, "out of memory");
		goto done;
	}
	if (!matches(v->issuer, v->issuer_re, issuer)) {
		rc = sg_fail(c, DK_EVERIFY, "certificate issuer \"%s\" does not match %s\"%s\"",
			issuer, v->issuer ? "" : "regexp ", want_iss);
		goto done;
	}
	*identity_out = strdup(s.value[hit]);
	*issuer_out = issuer;
	issuer = NULL;
done:
	free(issuer);
	sans_free(&s);
	return rc;
}
