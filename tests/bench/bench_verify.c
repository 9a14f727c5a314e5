/*
 * bench_verify SHARED_SIGSTORE_DIR [SECONDS [CASE ITERATIONS]] — single-threaded
 * verifications per second:
 * (a) keyless v0.3 bundle (conformance happy-path-v0.3), (b) legacy keyless `.sig` layer
 * (containers/image, Jan 2023), (c) key-based bundle (conformance managed-key-happy-path).
 * "warm" reuses one verifier (parsed root, log/CT/TSA keys, regexps) and the memo of
 * signatures over CA and TSA certificates (the Fulcio intermediate under its root), as
 * ingest does; "cold" clears that memo before every verification. Nothing about the
 * signature itself is cached: every call parses the bundle and verifies the signing
 * certificate's signature, its validity, SCT, identity, the SET, the inclusion proof
 * and checkpoint, i.e. what a new, never-seen bundle from the same CA and log costs.
 *
 * With CASE (keyless | legacy | key | p256 | p384) and ITERATIONS it runs exactly that
 * many warm verifications of one case after one warm-up and prints nothing: the
 * driver for `valgrind --tool=callgrind --toggle-collect=profile_loop`. p256 and p384
 * are one bare ECDSA verify each (the artifact signature under the leaf's P-256 key;
 * the leaf certificate signature under the P-384 Fulcio intermediate), the unit of
 * the instruction counts in the README.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskops/sigstore.h"
#include "../../core/sigstore_int.h"

#define BEACON "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/" \
	".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"

static const char *shared;
static double seconds = 3.0;

static char *
slurp(const char *rel, size_t *len)
{
	char path[1024], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", shared, rel);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench: cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef int (*verify_fn)(void *arg);

static void
run(const char *name, verify_fn fn, void *arg, int cold)
{
	double start = now(), t;
	long n = 0;

	if (fn(arg) != 0) {
		fprintf(stderr, "bench: %s does not verify: %s\n", name, dk_error_last()->message);
		exit(1);
	}
	do {
		for (int i = 0; i < 20; i++) {
			if (cold)
				sg_chain_cache_clear();
			fn(arg);
			n++;
		}
		t = now() - start;
	} while (t < seconds);
	printf("%s %s %.0f\n", name, cold ? "cold" : "warm", n / t);
}

typedef struct {
	dk_sigstore_verifier *v;
	char *bundle;
	size_t len;
	dk_sigstore_artifact a;
	dk_sigstore_legacy l;
	const char *digest;
} job;

static int
bundle_job(void *arg)
{
	job *j = arg;
	dk_sigstore_result *r = NULL;
	int rc = dk_sigstore_verify_bundle(&r, j->v, j->bundle, j->len, &j->a);

	dk_sigstore_result_free(r);
	return rc;
}

static int
legacy_job(void *arg)
{
	job *j = arg;
	dk_sigstore_result *r = NULL;
	int rc = dk_sigstore_verify_legacy(&r, j->v, &j->l, j->digest);

	dk_sigstore_result_free(r);
	return rc;
}

typedef struct {
	EVP_PKEY *key;
	const unsigned char *msg;
	size_t msg_len;
	sg_buf sig;
	X509 *cert;
} ref_job;

static int
p256_job(void *arg)
{
	ref_job *r = arg;

	return sg_verify_sig(r->key, r->msg, r->msg_len, r->sig.data, r->sig.len) == 1 ? 0 : -1;
}

static int
p384_job(void *arg)
{
	ref_job *r = arg;

	return X509_verify(r->cert, r->key) == 1 ? 0 : -1;
}

void profile_loop(verify_fn fn, void *arg, long iters);

void __attribute__((noinline))
profile_loop(verify_fn fn, void *arg, long iters)
{
	for (long i = 0; i < iters; i++)
		fn(arg);
}

static void
profile(verify_fn fn, void *arg, long iters)
{
	if (fn(arg) != 0) {
		fprintf(stderr, "bench: the profiled case does not verify\n");
		exit(1);
	}
	profile_loop(fn, arg, iters);
}

int
main(int argc, char **argv)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	job a = { 0 }, b = { 0 }, c = { 0 };
	size_t alen, mlen, slen;
	char *art, *manifest, *sigfile, digest[72];
	unsigned char h[32];
	json_t *sj;
	const char *p64;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_verify SHARED_SIGSTORE_DIR [SECONDS]\n");
		return 2;
	}
	shared = argv[1];
	if (argc > 2)
		seconds = atof(argv[2]);
	/* (a) keyless v0.3 bundle */
	o.identity = BEACON;
	o.issuer = "https://token.actions.githubusercontent.com";
	if (dk_sigstore_verifier_new(&a.v, &o) != 0)
		return 1;
	a.bundle = slurp("sigstore-conformance/test/assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json", &a.len);
	art = slurp("sigstore-conformance/test/assets/bundle-verify/a.txt", &alen);
	a.a.data = (unsigned char *)art;
	a.a.len = alen;
	/* (b) legacy keyless */
	o.identity = "mitr@redhat.com";
	o.issuer = "https://github.com/login/oauth";
	if (dk_sigstore_verifier_new(&b.v, &o) != 0)
		return 1;
	manifest = slurp("containers-image/signature/fixtures/dir-img-cosign-fulcio-rekor-valid/manifest.json", &mlen);
	EVP_Digest(manifest, mlen, h, NULL, EVP_sha256(), NULL);
	strcpy(digest, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(digest + 7 + 2 * i, "%02x", h[i]);
	b.digest = digest;
	sigfile = slurp("containers-image/signature/fixtures/dir-img-cosign-fulcio-rekor-valid/signature-1", &slen);
	sj = json_loadb(sigfile + 15, slen - 15, 0, NULL);
	p64 = json_string_value(json_object_get(sj, "payload"));
	b.l.payload = malloc(strlen(p64));
	b.l.payload_len = (size_t)EVP_DecodeBlock((unsigned char *)b.l.payload, (const unsigned char *)p64,
		(int)strlen(p64));
	while (b.l.payload_len && b.l.payload[b.l.payload_len - 1] == 0)
		b.l.payload_len--;
#define ANN(k) json_string_value(json_object_get(json_object_get(sj, "annotations"), k))
	b.l.signature = ANN("dev.cosignproject.cosign/signature");
	b.l.certificate = ANN("dev.sigstore.cosign/certificate");
	b.l.chain = ANN("dev.sigstore.cosign/chain");
	b.l.rekor_bundle = ANN("dev.sigstore.cosign/bundle");
	/* (c) key-based bundle */
	o.identity = o.issuer = NULL;
	o.trusted_keys = slurp("sigstore-conformance/test/assets/bundle-verify/managed-key-happy-path/key.pub", NULL);
	if (dk_sigstore_verifier_new(&c.v, &o) != 0)
		return 1;
	c.bundle = slurp("sigstore-conformance/test/assets/bundle-verify/managed-key-happy-path/bundle.sigstore.json",
		&c.len);
	c.a = a.a;
	if (argc > 4) {
		const char *which = argv[3];
		long iters = atol(argv[4]);
		ref_job p256 = { 0 }, p384 = { 0 };
		sg_material m;

		if (strcmp(which, "keyless") == 0) {
			profile(bundle_job, &a, iters);
		} else if (strcmp(which, "legacy") == 0) {
			profile(legacy_job, &b, iters);
		} else if (strcmp(which, "key") == 0) {
			profile(bundle_job, &c, iters);
		} else if (strcmp(which, "p256") == 0 || strcmp(which, "p384") == 0) {
			if (sg_bundle_parse(&m, a.bundle, a.len) < 0)
				return 1;
			p256.key = X509_get0_pubkey(m.leaf);
			p256.msg = a.a.data;
			p256.msg_len = a.a.len;
			p256.sig = m.sig;
			p384.cert = m.leaf;
			p384.key = X509_get0_pubkey(sk_X509_value(a.v->root->cas[a.v->root->n_cas - 1].intermediates, 0));
			if (strcmp(which, "p256") == 0)
				profile(p256_job, &p256, iters);
			else
				profile(p384_job, &p384, iters);
		} else {
			fprintf(stderr, "bench: unknown case %s\n", which);
			return 2;
		}
		return 0;
	}
	run("keyless-bundle-v0.3", bundle_job, &a, 0);
	run("keyless-bundle-v0.3", bundle_job, &a, 1);
	run("legacy-keyless", legacy_job, &b, 0);
	run("legacy-keyless", legacy_job, &b, 1);
	run("key-bundle", bundle_job, &c, 0);
	return 0;
}
