#include <stdlib.h>
#include <string.h>

#include "diskops/store_serve.h"

void
dk_webhook_clear(dk_webhook *w)
{
	if (!w)
		return;
	free(w->id);
	free(w->account_id);
	free(w->label);
	free(w->secret_enc);
	free(w->secret_preview);
	free(w->status);
	free(w->created_by);
	memset(w, 0, sizeof(*w));
}

void
dk_delivery_clear(dk_delivery *d)
{
	if (!d)
		return;
	free(d->webhook_id);
	free(d->account_id);
	free(d->remote_addr);
	free(d->body_sha256);
	free(d->outcome);
	free(d->reason);
	free(d->publication_id);
	memset(d, 0, sizeof(*d));
}

void
dk_worker_clear(dk_worker *w)
{
	if (!w)
		return;
	free(w->id);
	free(w->account_id);
	free(w->name);
	free(w->role);
	free(w->status);
	memset(w, 0, sizeof(*w));
}

void
dk_job_clear(dk_job *j)
{
	if (!j)
		return;
	free(j->kind);
	free(j->subject_id);
	free(j->account_id);
	free(j->state);
	free(j->leased_by);
	free(j->last_error);
	memset(j, 0, sizeof(*j));
}

void
dk_webhook_free(dk_webhook *w)
{
	dk_webhook_clear(w);
	free(w);
}

void
dk_worker_free(dk_worker *w)
{
	dk_worker_clear(w);
	free(w);
}

void
dk_job_free(dk_job *j)
{
	dk_job_clear(j);
	free(j);
}

#define LIST_FREE(type) \
	void type##_list_free(type##_list *l) \
	{ \
		if (!l) \
			return; \
		for (size_t i = 0; i < l->count; i++) \
			type##_clear(&l->items[i]); \
		free(l->items); \
		free(l); \
	}

LIST_FREE(dk_webhook)
LIST_FREE(dk_delivery)
LIST_FREE(dk_worker)
LIST_FREE(dk_job)
