#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/model.h"

static const char *const pub_status_names[DK_PUB__COUNT] = {
	"queued", "awaiting_upload", "verifying", "published", "failed", "retired", "purged",
};

#define BIT(s) (1u << (s))

/* allowed[from] = the set of states reachable in one step (DESIGN §3). */
static const unsigned allowed[DK_PUB__COUNT] = {
	[DK_PUB_QUEUED] = BIT(DK_PUB_AWAITING_UPLOAD) | BIT(DK_PUB_VERIFYING) | BIT(DK_PUB_FAILED),
	[DK_PUB_AWAITING_UPLOAD] = BIT(DK_PUB_VERIFYING) | BIT(DK_PUB_FAILED),
	/* verifying -> verifying is a retry of an interrupted attempt */
	[DK_PUB_VERIFYING] = BIT(DK_PUB_VERIFYING) | BIT(DK_PUB_PUBLISHED) | BIT(DK_PUB_FAILED) |
			     BIT(DK_PUB_RETIRED),
	[DK_PUB_FAILED] = BIT(DK_PUB_VERIFYING) | BIT(DK_PUB_RETIRED),
	[DK_PUB_PUBLISHED] = BIT(DK_PUB_RETIRED),
	/* retired -> published is reactivation by rollback/promote only */
	[DK_PUB_RETIRED] = BIT(DK_PUB_PUBLISHED) | BIT(DK_PUB_PURGED),
	[DK_PUB_PURGED] = 0,
};

const char *
dk_pub_status_name(dk_pub_status status)
{
	if ((unsigned)status >= DK_PUB__COUNT)
		return "unknown";
	return pub_status_names[status];
}

int
dk_pub_status_parse(dk_pub_status *out, const char *name)
{
	if (!name)
		return dk_error_set(DK_EINVALID, "status missing: expected one of queued, "
				    "awaiting_upload, verifying, published, failed, retired, purged");
	for (int i = 0; i < DK_PUB__COUNT; i++) {
		if (strcmp(name, pub_status_names[i]) == 0) {
			*out = (dk_pub_status)i;
			return 0;
		}
	}
	return dk_error_set(DK_EINVALID,
			    "status \"%s\" is not one of queued, awaiting_upload, verifying, "
			    "published, failed, retired, purged", name);
}

bool
dk_pub_transition_allowed(dk_pub_status from, dk_pub_status to)
{
	if ((unsigned)from >= DK_PUB__COUNT || (unsigned)to >= DK_PUB__COUNT)
		return false;
	return (allowed[from] & BIT(to)) != 0;
}

void
dk_account_clear(dk_account *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->name);
	memset(a, 0, sizeof(*a));
}

void
dk_platform_clear(dk_platform *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->account_id);
	free(p->name);
	free(p->arch);
	free(p->disk_image_oci_ref);
	free(p->default_publication_id);
	free(p->publication_status);
	free(p->publication_error);
	free(p->cosign_identity_regexp);
	free(p->cosign_issuer_regexp);
	free(p->trusted_keys);
	free(p->tlog_policy);
	free(p->trusted_root);
	free(p->build_repo);
	free(p->workflow_file);
	free(p->default_git_sha);
	memset(p, 0, sizeof(*p));
}

void
dk_publication_clear(dk_publication *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->account_id);
	free(p->node_platform_id);
	free(p->platform_name);
	free(p->git_sha);
	free(p->oci_ref);
	free(p->oci_digest);
	free(p->artifact_sha256);
	free(p->arch);
	free(p->firmware_ref);
	free(p->sbom_url);
	free(p->cosign_identity);
	free(p->cosign_issuer);
	free(p->signature_kind);
	free(p->error_message);
	free(p->payload);
	free(p->webhook_id);
	memset(p, 0, sizeof(*p));
}

void
dk_event_clear(dk_event *e)
{
	if (!e)
		return;
	free(e->account_id);
	free(e->kind);
	free(e->severity);
	free(e->source);
	free(e->subject_id);
	free(e->payload);
	memset(e, 0, sizeof(*e));
}

#define DEFINE_FREE(type)                                        \
	void type##_free(type *row)                              \
	{                                                        \
		type##_clear(row);                               \
		free(row);                                       \
	}                                                        \
	void type##_list_free(type##_list *l)                    \
	{                                                        \
		if (!l)                                          \
			return;                                  \
		for (size_t i = 0; i < l->count; i++)            \
			type##_clear(&l->items[i]);              \
		free(l->items);                                  \
		free(l);                                         \
	}

DEFINE_FREE(dk_account)
DEFINE_FREE(dk_platform)
DEFINE_FREE(dk_publication)
DEFINE_FREE(dk_event)
