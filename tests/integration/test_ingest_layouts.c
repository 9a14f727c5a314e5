/*
 * The artifact layouts ingest accepts, each pushed for real to a docker-registry and
 * published by the processor: the original CI's `.img` with `.cosign-bundle` (and
 * `.attestation-bundle`) layers, key-signed by diskops and keyless from the
 * tests/interop generator (local Fulcio/Rekor); a boot set signed by a Sigstore bundle
 * attached as a referrer. The published event carries powernode-behaviour.md §16's fields.
 */
#include "ingest_fixture.h"

static int
setup(void **state)
{
	(void)state;
	return fx_setup(true);
}

static void
test_img_with_key_signed_cosign_bundle_publishes(void **state)
{
	static const char img[] = "raw disk image: partition table, ESP, root\n";
	dk_publication *old = NULL, *pub, *row;
	dk_platform *plat = fx_platform("rpi4", F->key, &old);
	char *bundle = ou_key_bundle(F->key, img, strlen(img)), *digest, *ref, want[72], payload[256];
	json_t *ev = NULL;

	(void)state;
	dk_oci_digest_of(want, img, strlen(img));
	digest = ou_img(F->c, "acct/rpi4", "v1", "powernode-rpi4.img", img, strlen(img), bundle, NULL);
	ref = fx_ref(F->reg->host, "acct/rpi4", "v1");
	snprintf(payload, sizeof(payload), "{\"sha256\":\"%s\",\"size_bytes\":%zu}", want + 7,
		 strlen(img));
	pub = fx_queued(plat, "1111aaaa", ref, payload);
	row = fx_expect_published(plat, pub);
	assert_string_equal(row->oci_digest, digest);
	assert_string_equal(row->artifact_sha256, want + 7);
	assert_int_equal(row->size_bytes, (int64_t)strlen(img));
	assert_string_equal(row->signature_kind, "key");
	assert_null(row->cosign_identity);

	/* powernode-behaviour.md §16: every field of system.disk_image_published. */
	assert_int_equal(fx_events("system.disk_image_published", pub->id, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "publication_id")), pub->id);
	assert_string_equal(json_string_value(json_object_get(ev, "platform_id")), plat->id);
	assert_string_equal(json_string_value(json_object_get(ev, "platform_name")), "rpi4");
	assert_string_equal(json_string_value(json_object_get(ev, "git_sha")), "1111aaaa");
	assert_string_equal(json_string_value(json_object_get(ev, "oci_ref")), ref);
	assert_string_equal(json_string_value(json_object_get(ev, "sha256")), want + 7);
	assert_int_equal(json_integer_value(json_object_get(ev, "size_bytes")), strlen(img));
	assert_string_equal(json_string_value(json_object_get(ev, "firmware_ref")), "fw-2026.11");
	assert_string_equal(json_string_value(json_object_get(ev, "arch")), "amd64");
	assert_string_equal(json_string_value(json_object_get(ev, "prior_file_object_id")), old->id);
	assert_true(json_is_null(json_object_get(ev, "attestation_predicate")));
	assert_string_equal(json_string_value(json_object_get(ev, "layout")), "img");
	assert_string_equal(json_string_value(json_object_get(ev, "oci_digest")), digest);
	json_decref(ev);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(bundle);
	free(digest);
	free(ref);
}

static void
test_img_with_keyless_bundles_from_interop_publishes(void **state)
{
	dk_publication *old = NULL, *pub, *row;
	dk_platform *plat = fx_platform("uefi", "keyless", &old);
	char *p_art = fx_gen_path("artifact"), *p_msg = fx_gen_path("msg.json");
	char *p_att = fx_gen_path("dsse.json"), *img, *bundle, *att, *digest, *ref, want[72];
	size_t img_len;
	json_t *ev = NULL, *pred;

	(void)state;
	img = tu_read_file(p_art, &img_len);
	bundle = tu_read_file(p_msg, NULL);
	att = tu_read_file(p_att, NULL);
	assert_non_null(img);
	assert_non_null(bundle);
	assert_non_null(att);
	dk_oci_digest_of(want, img, img_len);
	digest = ou_img(F->c, "acct/uefi", "v2", "powernode-arm64-uefi.img", img, img_len, bundle, att);
	ref = fx_ref(F->reg->host, "acct/uefi", "v2");
	pub = fx_queued(plat, "2222bbbb", ref, NULL);
	row = fx_expect_published(plat, pub);
	assert_string_equal(row->artifact_sha256, want + 7);
	assert_int_equal(row->size_bytes, (int64_t)img_len);
	assert_string_equal(row->signature_kind, "keyless");
	assert_string_equal(row->cosign_identity, KEYLESS_ID);
	assert_string_equal(row->cosign_issuer, KEYLESS_ISSUER);
	assert_true(row->tlog_index >= 0);
	assert_int_equal(fx_events("system.disk_image_published", pub->id, &ev), 1);
	/* gen.js attests with cosign's sign/v1 statement, whose predicate is {}. */
	pred = json_object_get(ev, "attestation_predicate");
	assert_true(json_is_object(pred));
	assert_int_equal(json_object_size(pred), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "cosign_identity")), KEYLESS_ID);
	json_decref(ev);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(p_art);
	free(p_msg);
	free(p_att);
	free(img);
	free(bundle);
	free(att);
	free(digest);
	free(ref);
}

/* The attestation is optional, but one that is there must verify. */
static void
test_img_with_bad_attestation_fails(void **state)
{
	dk_publication *old = NULL, *pub;
	dk_platform *plat = fx_platform("badatt", "keyless", &old);
	char *p_art = fx_gen_path("artifact"), *p_msg = fx_gen_path("msg.json");
	char *p_att = fx_gen_path("dsse-flip.json"), *img, *bundle, *att, *digest, *ref;
	size_t img_len;

	(void)state;
	img = tu_read_file(p_art, &img_len);
	bundle = tu_read_file(p_msg, NULL);
	att = tu_read_file(p_att, NULL);
	digest = ou_img(F->c, "acct/badatt", "v1", "x.img", img, img_len, bundle, att);
	ref = fx_ref(F->reg->host, "acct/badatt", "v1");
	pub = fx_queued(plat, "3333cccc", ref, NULL);
	fx_expect_failed(plat, old, pub, "cosign verify-attestation failed: ");
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(p_art);
	free(p_msg);
	free(p_att);
	free(img);
	free(bundle);
	free(att);
	free(digest);
	free(ref);
}

/* The keyless bundle is good, but the platform trusts another identity. */
static void
test_img_keyless_wrong_identity_fails(void **state)
{
	dk_publication *old = NULL, *pub, *row = NULL;
	dk_platform *plat = fx_platform("wrongid", "keyless", &old), *upd = NULL;
	dk_platform_spec change = { .set = DK_PLATFORM_IDENTITY_RE,
				    .identity_regexp = "^https://ci\\.example/other/" };
	char *p_art = fx_gen_path("artifact"), *p_msg = fx_gen_path("msg.json"), *img, *bundle;
	char *digest, *ref;
	size_t img_len;

	(void)state;
	assert_int_equal(dk_store_platform_update(F->store, &upd, F->acct->id, plat->id, &change), 0);
	img = tu_read_file(p_art, &img_len);
	bundle = tu_read_file(p_msg, NULL);
	digest = ou_img(F->c, "acct/wrongid", "v1", "x.img", img, img_len, bundle, NULL);
	ref = fx_ref(F->reg->host, "acct/wrongid", "v1");
	pub = fx_queued(plat, "4444dddd", ref, NULL);
	fx_expect_failed(plat, old, pub, "cosign verify-blob failed: ");
	assert_int_equal(dk_store_publication_get(F->store, &row, F->acct->id, pub->id), 0);
	fx_assert_contains(row->error_message, KEYLESS_ID);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	dk_platform_free(upd);
	free(p_art);
	free(p_msg);
	free(img);
	free(bundle);
	free(digest);
	free(ref);
}

static void
test_boot_set_with_bundle_referrer_publishes(void **state)
{
	dk_publication *old = NULL, *pub, *row;
	dk_platform *plat = fx_platform("edge", F->key, &old);
	char *digest, *ref, *manifest, *bundle, *referrer, payload[256];
	size_t mlen;
	int64_t size;
	dk_oci_manifest *sig = NULL;

	(void)state;
	digest = ou_boot_set(F->c, "acct/edge", "v1", 1, &size);
	/* A bundle whose message digest is the manifest's: it signs exactly these bytes. */
	manifest = ou_manifest_bytes(F->c, "acct/edge", digest, &mlen);
	bundle = ou_key_bundle(F->key, manifest, mlen);
	referrer = ou_attach_bundle(F->c, "acct/edge", digest, bundle);
	/* Nothing at the legacy tag: the referrer alone signs it. */
	{
		char tag[80];

		assert_int_equal(dk_oci_digest_tag(tag, digest), 0);
		strcat(tag, ".sig");
		assert_int_equal(dk_oci_manifest_get(&sig, F->c, "acct/edge", tag), DK_ENOTFOUND);
	}
	ref = fx_ref(F->reg->host, "acct/edge", "v1");
	snprintf(payload, sizeof(payload), "{\"sha256\":\"%s\",\"size_bytes\":%lld}", digest + 7,
		 (long long)size);
	pub = fx_queued(plat, "5555eeee", ref, payload);
	row = fx_expect_published(plat, pub);
	assert_string_equal(row->oci_digest, digest);
	assert_string_equal(row->artifact_sha256, digest + 7);
	assert_int_equal(row->size_bytes, size);
	assert_string_equal(row->signature_kind, "key");
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(digest);
	free(ref);
	free(manifest);
	free(bundle);
	free(referrer);
}

/*
 * What cosign v3 writes: a keyless DSSE bundle (in-toto sign/v1 statement whose subject
 * is the manifest digest, Rekor intoto entry) as a referrer, minted by tests/interop/gen.js.
 */
static void
test_boot_set_with_keyless_dsse_referrer_publishes(void **state)
{
	const char *argv[] = { "node", "tests/interop/gen.js", NULL, "--subject", NULL, NULL };
	dk_publication *old = NULL, *pub, *row;
	dk_platform *plat = fx_platform("cosign3", "keyless", &old), *upd = NULL;
	dk_platform_spec change = { .set = DK_PLATFORM_TRUSTED_ROOT };
	char *gen = tu_path(F->dir, "gen-subject"), *root, *path, *bundle, *digest, *ref, *referrer;
	tu_run_result rr;
	int64_t size;

	(void)state;
	digest = ou_boot_set(F->c, "acct/cosign3", "v1", 3, &size);
	argv[2] = gen;
	argv[4] = digest;
	if (tu_run(&rr, argv, NULL, NULL) != 0)
		fail_msg("gen.js --subject: %s%s", rr.out, rr.err);
	tu_run_result_free(&rr);
	/* gen.js mints a new CA and log each run: this bundle's root is its own. */
	root = tu_path(gen, "trusted_root.json");
	change.trusted_root = root;
	assert_int_equal(dk_store_platform_update(F->store, &upd, F->acct->id, plat->id, &change), 0);
	path = tu_path(gen, "subject-dsse.json");
	bundle = tu_read_file(path, NULL);
	assert_non_null(bundle);
	referrer = ou_attach_bundle(F->c, "acct/cosign3", digest, bundle);
	ref = fx_ref(F->reg->host, "acct/cosign3", "v1");
	pub = fx_queued(plat, "7777abab", ref, NULL);
	row = fx_expect_published(plat, pub);
	assert_string_equal(row->oci_digest, digest);
	assert_string_equal(row->signature_kind, "keyless");
	assert_string_equal(row->cosign_identity, KEYLESS_ID);
	assert_string_equal(row->cosign_issuer, KEYLESS_ISSUER);
	assert_true(row->tlog_index >= 0);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	dk_platform_free(upd);
	free(gen);
	free(root);
	free(path);
	free(bundle);
	free(digest);
	free(ref);
	free(referrer);
}

/* A referrer signed by a key the platform does not trust is no signature at all. */
static void
test_boot_set_with_foreign_referrer_fails(void **state)
{
	dk_publication *old = NULL, *pub;
	dk_platform *plat = fx_platform("foreign", F->key, &old);
	char *digest, *ref, *manifest, *bundle, *referrer;
	size_t mlen;
	int64_t size;

	(void)state;
	digest = ou_boot_set(F->c, "acct/foreign", "v1", 2, &size);
	manifest = ou_manifest_bytes(F->c, "acct/foreign", digest, &mlen);
	bundle = ou_key_bundle(F->other_key, manifest, mlen);
	referrer = ou_attach_bundle(F->c, "acct/foreign", digest, bundle);
	ref = fx_ref(F->reg->host, "acct/foreign", "v1");
	pub = fx_queued(plat, "6666ffff", ref, NULL);
	fx_expect_failed(plat, old, pub, "cosign verify failed: ");
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(digest);
	free(ref);
	free(manifest);
	free(bundle);
	free(referrer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_img_with_key_signed_cosign_bundle_publishes),
		cmocka_unit_test(test_img_with_keyless_bundles_from_interop_publishes),
		cmocka_unit_test(test_img_with_bad_attestation_fails),
		cmocka_unit_test(test_img_keyless_wrong_identity_fails),
		cmocka_unit_test(test_boot_set_with_bundle_referrer_publishes),
		cmocka_unit_test(test_boot_set_with_keyless_dsse_referrer_publishes),
		cmocka_unit_test(test_boot_set_with_foreign_referrer_fails),
	};

	return cmocka_run_group_tests(tests, setup, fx_teardown);
}
