/*
 * libFuzzer target for the sigstore parsers and verifier (issue 4 "Bad input").
 * The first byte picks the entry point; the rest is the input. Any crash, leak or
 * sanitizer report is a bug; a rejection is the expected outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/sigstore.h"

static dk_sigstore_verifier *keyless, *keyed;

static void
init(void)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	/* A fixed P-256 key: cosign.pub from the containers/image fixtures. */
	static const char key[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFNLqFhf4fiN6o/glAuYnq2jYUeL0\n"
		"vRuLu/z39pmbVwS9ff5AYnlwaP9sxREajdLY9ynM6G1sy6AAmb7Z63TsLg==\n"
		"-----END PUBLIC KEY-----\n";

	o.identity_regexp = ".";
	o.issuer_regexp = ".";
	o.tlog = DK_SIGSTORE_TLOG_OPTIONAL;
	dk_sigstore_verifier_new(&keyless, &o);
	o.trusted_keys = key;
	dk_sigstore_verifier_new(&keyed, &o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dk_sigstore_result *r = NULL;
	dk_sigstore_root *root = NULL;
	dk_sigstore_artifact a = { (const unsigned char *)"a", 1, NULL };
	char *text;

	if (!keyless)
		init();
	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		dk_sigstore_verify_bundle(&r, keyless, text, size - 1, &a);
		break;
	case 1:
		dk_sigstore_verify_bundle(&r, keyed, text, size - 1, NULL);
		break;
	case 2:
		dk_sigstore_root_parse(&root, text, size - 1);
		break;
	case 3: {
		/* payload \0 signature \0 certificate \0 rekor bundle */
		dk_sigstore_legacy l = { 0 };
		const char *parts[4] = { text, "", "", "" };
		size_t k = 1;

		for (size_t i = 0; i + 1 < size && k < 4; i++) {
			if (text[i] == '\0')
				parts[k++] = text + i + 1;
		}
		l.payload = (const unsigned char *)parts[0];
		l.payload_len = strlen(parts[0]);
		l.signature = parts[1];
		l.certificate = parts[2];
		l.rekor_bundle = parts[3];
		dk_sigstore_verify_legacy(&r, keyed, &l,
			"sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a");
		break;
	}
	}
	dk_sigstore_result_free(r);
	dk_sigstore_root_free(root);
	free(text);
	return 0;
}
