// SPDX-License-Identifier: MIT
/* Secrets in URLs and URIs (issue #14): userinfo, credential path segments
 * and the broad query-key list, wherever a URL reaches a span. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/url.h"

static void uri_is(const char *in, const char *want)
{
	char *got = url__redact_uri(in);

	cr_assert_not_null(got);
	cr_assert_str_eq(got, want, "%s", in);
	free(got);
}

Test(redact, resource_uri_userinfo_and_query)
{
	uri_is("postgres://user:pw@db.internal:5432/app?sslmode=require&token=abc",
	       "postgres://REDACTED:REDACTED@db.internal:5432/app?sslmode=require&token=REDACTED");
	uri_is("file:///etc/app/config.json", "file:///etc/app/config.json");
	uri_is("https://u@h/x#access_token=zzz&state=1", "https://REDACTED:REDACTED@h/x#access_token=REDACTED&state=1");
	uri_is("note://plain/1", "note://plain/1");
	uri_is("weird:user@host", "weird:user@host");
}

Test(redact, credential_path_segments)
{
	uri_is("https://api.telegram.org/bot123456:AAH-xyz_Secret/sendMessage?chat_id=5",
	       "https://api.telegram.org/botREDACTED/sendMessage?chat_id=5");
	uri_is("https://hooks.slack.com/services/T000/B000/XXXXsecret",
	       "https://hooks.slack.com/services/REDACTED");
	uri_is("https://discord.com/api/webhooks/123456/tok-en_secret",
	       "https://discord.com/api/webhooks/123456/REDACTED");
	uri_is("https://example.com/bots/list", "https://example.com/bots/list");
	uri_is("https://example.com/bot/help", "https://example.com/bot/help");
}

Test(redact, url_full_paths_and_keys)
{
	struct http_exchange x = { .method = "POST", .host = "api.telegram.org",
				   .target = "/bot42:SECRETtok/getUpdates?offset=1&Access-Token=q" };
	char *u = url__full(&x);

	cr_assert_not_null(u);
	cr_assert_str_eq(u, "http://api.telegram.org/botREDACTED/getUpdates?offset=1&Access-Token=REDACTED");
	free(u);
}

Test(redact, the_issue_query_keys)
{
	static const char *const keys[] = {
		"access-token", "api_token", "private_token", "auth_token", "x-api-key",
		"authorization", "jwt", "sig", "signature", "X-Amz-Signature",
		"X-Goog-Signature", "apiKey", "client_secret", "session_token",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cr_assert(url__secret_key(keys[i], strlen(keys[i])), "%s", keys[i]);
	cr_assert_not(url__secret_key("chat_id", 7));
	cr_assert_not(url__secret_key("model", 5));
}

Test(redact, configured_keys)
{
	cr_assert_not(url__secret_key("tenant_pass", 11));
	cr_assert_eq(url__add_secret_key("Tenant-Pass"), 0);
	cr_assert(url__secret_key("tenant_pass", 11));
	cr_assert(url__secret_key("TENANTPASS", 10));
	cr_assert_eq(url__add_secret_key(""), -EINVAL);
}
