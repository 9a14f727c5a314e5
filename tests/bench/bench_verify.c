/*
 * bench_verify SHARED_SIGSTORE_DIR [SECONDS] — single-threaded verifications per second:
 * (a) keyless v0.3 bundle (conformance happy-path-v0.3), (b) legacy keyless `.sig` layer
 * (containers/image, Jan 2023), (c) key-based bundle (conformance managed-key-happy-path).
 * "warm" reuses one verifier (parsed root, keys, regexps) and the certificate-signature
 * memo, as ingest does; "cold" clears the memo before every verification.
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
	run("keyless-bundle-v0.3", bundle_job, &a, 0);
	run("keyless-bundle-v0.3", bundle_job, &a, 1);
	run("legacy-keyless", legacy_job, &b, 0);
	run("legacy-keyless", legacy_job, &b, 1);
	run("key-bundle", bundle_job, &c, 0);
	return 0;
}
