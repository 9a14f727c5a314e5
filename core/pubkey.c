#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "diskops/error.h"
#include "diskops/pubkey.h"

#define MAX_KEY_FILE (64 * 1024)

static int
describe(EVP_PKEY *pk, dk_pubkey_info *info, const char *source)
{
	int id = EVP_PKEY_get_base_id(pk), bits = EVP_PKEY_get_bits(pk);
	unsigned char *der = NULL, md[32];
	unsigned char b64[64];
	int len;

	if (id == EVP_PKEY_EC) {
		char group[64] = "";

		EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL);
		if (strcmp(group, "prime256v1") == 0)
			snprintf(info->type, sizeof(info->type), "ecdsa-p256");
		else if (strcmp(group, "secp384r1") == 0)
			snprintf(info->type, sizeof(info->type), "ecdsa-p384");
		else
			return dk_error_set(DK_EINVALID, "%s: EC key on curve %s is not accepted "
					    "(use P-256 or P-384)", source, group[0] ? group : "unknown");
	} else if (id == EVP_PKEY_RSA) {
		if (bits < 2048)
			return dk_error_set(DK_EINVALID, "%s: RSA key of %d bits is too weak (2048 "
					    "at least)", source, bits);
		snprintf(info->type, sizeof(info->type), "rsa-%d", bits);
	} else if (id == EVP_PKEY_ED25519) {
		snprintf(info->type, sizeof(info->type), "ed25519");
	} else {
		return dk_error_set(DK_EINVALID, "%s: key type %s is not accepted (use ECDSA P-256/"
				    "P-384, RSA or Ed25519)", source, OBJ_nid2sn(id));
	}
	if ((len = i2d_PUBKEY(pk, &der)) <= 0)
		return dk_error_set(DK_EINVALID, "%s: cannot encode the public key", source);
	EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	len = EVP_EncodeBlock(b64, md, sizeof(md));
	/* ssh-keygen style: no padding */
	while (len > 0 && b64[len - 1] == '=')
		b64[--len] = '\0';
	snprintf(info->fingerprint, sizeof(info->fingerprint), "SHA256:%s", b64);
	return 0;
}

int
dk_pubkey_each(const char *text, const char *source, dk_pubkey_fn fn, void *arg)
{
	BIO *bio = NULL;
	size_t n = 0;
	int rc = 0;

	if (!(bio = BIO_new_mem_buf(text, -1)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long len = 0;
		const unsigned char *p;
		EVP_PKEY *pk;
		dk_pubkey_info info;

		if (!PEM_read_bio(bio, &name, &header, &data, &len))
			break;
		p = data;
		pk = strcmp(name, "PUBLIC KEY") == 0 ? d2i_PUBKEY(NULL, &p, len) : NULL;
		memset(&info, 0, sizeof(info));
		if (!pk)
			rc = dk_error_set(DK_EINVALID, "%s: PEM block \"%s\" is not a public key "
					  "(expected -----BEGIN PUBLIC KEY-----)", source, name);
		else if ((rc = describe(pk, &info, source)) == 0 && (rc = fn(arg, pk, &info)) == 0)
			n++;
		EVP_PKEY_free(pk);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (rc < 0)
			goto done;
	}
	if (n == 0)
		rc = dk_error_set(DK_EINVALID, "%s: no PEM public key found", source);
done:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

typedef struct {
	dk_pubkey_info *list;
	size_t n;
} info_list;

static int
add_info(void *arg, EVP_PKEY *key, const dk_pubkey_info *info)
{
	info_list *l = arg;
	dk_pubkey_info *grown = realloc(l->list, (l->n + 1) * sizeof(*grown));

	(void)key;
	if (!grown)
		return dk_error_set(DK_ENOMEM, "out of memory");
	l->list = grown;
	l->list[l->n++] = *info;
	return 0;
}

int
dk_pubkey_parse_all(dk_pubkey_info **out, size_t *count, const char *text, const char *source)
{
	info_list l = { NULL, 0 };
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = dk_pubkey_each(text, source, add_info, &l)) < 0) {
		free(l.list);
		return rc;
	}
	*out = l.list;
	*count = l.n;
	return 0;
}

int
dk_pubkey_read_file(char **out, const char *path)
{
	dk_pubkey_info *info = NULL;
	size_t n, len;
	char *buf = NULL;
	FILE *f;
	int rc;

	*out = NULL;
	if (!(f = fopen(path, "rb")))
		return dk_error_set(DK_EIO, "trusted key %s: %s", path, strerror(errno));
	if (!(buf = malloc(MAX_KEY_FILE + 1))) {
		fclose(f);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	len = fread(buf, 1, MAX_KEY_FILE + 1, f);
	rc = ferror(f);
	fclose(f);
	if (rc) {
		free(buf);
		return dk_error_set(DK_EIO, "trusted key %s: read error", path);
	}
	if (len > MAX_KEY_FILE) {
		free(buf);
		return dk_error_set(DK_EINVALID, "trusted key %s: larger than 64 KiB, not a key file", path);
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		return dk_error_set(DK_EINVALID, "trusted key %s: binary data, expected PEM text", path);
	}
	if ((rc = dk_pubkey_parse_all(&info, &n, buf, path)) < 0) {
		free(buf);
		return rc;
	}
	free(info);
	*out = buf;
	return 0;
}
