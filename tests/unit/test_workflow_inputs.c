/* The workflow_dispatch inputs the console's dispatch dialog offers, read from workflow text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diskops/error.h"
#include "diskops/gitops.h"

static dk_gitops_input_list *
parse(const char *text)
{
	dk_gitops_input_list *l = NULL;

	if (dk_gitops_workflow_inputs(&l, text) < 0)
		fail_msg("parse: %s", dk_error_last()->message);
	return l;
}

/* What `diskops bootstrap --commit-workflow` writes: two inputs, described, with defaults. */
static void
the_template_declares_platform_and_firmware_ref(void **state)
{
	dk_gitops_template t = { .platform = "pc-amd64" };
	char *text = dk_gitops_workflow_text(&t);
	dk_gitops_input_list *l;

	(void)state;
	assert_non_null(text);
	l = parse(text);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].name, "platform");
	assert_string_equal(l->items[0].default_value, "pc-amd64");
	assert_string_equal(l->items[0].description, "NodePlatform name in diskops");
	assert_string_equal(l->items[1].name, "firmware_ref");
	assert_string_equal(l->items[1].default_value, "");
	assert_false(l->items[1].required);
	dk_gitops_input_list_free(l);
	free(text);
}

/* Quoting, comments, block scalars, options lists and other triggers around the block. */
static void
yaml_as_workflows_write_it(void **state)
{
	dk_gitops_input_list *l = parse(
		"name: x\n"
		"\"on\":\n"
		"  push:\n"
		"    branches: [main]\n"
		"  workflow_dispatch:   # by hand\n"
		"    inputs:\n"
		"      channel:\n"
		"        type: choice\n"
		"        description: 'Where it''s published'   # comment\n"
		"        required: true\n"
		"        default: \"stable # not a comment\"\n"
		"        options:\n"
		"          - stable\n"
		"          - beta\n"
		"\n"
		"      notes:\n"
		"        description: >\n"
		"          Free text\n"
		"          over two lines\n"
		"      bare:\n"
		"  schedule:\n"
		"    - cron: '0 3 * * *'\n"
		"jobs:\n"
		"  inputs:\n"
		"    runs-on: x\n");

	(void)state;
	assert_int_equal(l->count, 3);
	assert_string_equal(l->items[0].name, "channel");
	assert_string_equal(l->items[0].type, "choice");
	assert_string_equal(l->items[0].description, "Where it's published");
	assert_string_equal(l->items[0].default_value, "stable # not a comment");
	assert_true(l->items[0].required);
	assert_string_equal(l->items[1].name, "notes");
	assert_string_equal(l->items[1].description, "Free text over two lines");
	assert_null(l->items[1].default_value);
	assert_string_equal(l->items[2].name, "bare");
	assert_null(l->items[2].description);
	dk_gitops_input_list_free(l);
}

static void
dispatch_without_inputs(void **state)
{
	dk_gitops_input_list *l;

	(void)state;
	l = parse("on: [push, workflow_dispatch]\njobs: {}\n");
	assert_int_equal(l->count, 0);
	dk_gitops_input_list_free(l);
	l = parse("on:\n  workflow_dispatch:\njobs:\n");
	assert_int_equal(l->count, 0);
	dk_gitops_input_list_free(l);
	l = parse("on:\n  - push\n  - workflow_dispatch\n");
	assert_int_equal(l->count, 0);
	dk_gitops_input_list_free(l);
}

/* No workflow_dispatch: Gitea would refuse; the reason says so. */
static void
no_dispatch_trigger_is_refused(void **state)
{
	dk_gitops_input_list *l = NULL;

	(void)state;
	assert_int_equal(dk_gitops_workflow_inputs(&l, "on:\n  push:\n    tags: [v*]\n"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "workflow_dispatch"));
	assert_null(l);
	assert_int_equal(dk_gitops_workflow_inputs(&l, "name: x\njobs:\n"), DK_EINVALID);
	assert_int_equal(dk_gitops_workflow_inputs(&l, ""), DK_EINVALID);
	assert_int_equal(dk_gitops_workflow_inputs(&l, "on: push\n"), DK_EINVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_template_declares_platform_and_firmware_ref),
		cmocka_unit_test(yaml_as_workflows_write_it),
		cmocka_unit_test(dispatch_without_inputs),
		cmocka_unit_test(no_dispatch_trigger_is_refused),
	};

	return cmocka_run_group_tests_name("workflow inputs", tests, NULL, NULL);
}
