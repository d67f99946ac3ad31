/* The STS answer parser (helper/sts_xml.c) on AWS-shaped and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sts_xml.h"

#define TOKEN "IQoJb3JpZ2luX2VjEPT//////////wEaCWV1LXdlc3QtMSJHMEUCIQDExampleTokenValue" \
              "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/wEXAMPLE=="
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

/* Pretty-printed as AWS sends it, whitespace around every value. */
static const char assume_role_xml[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <SourceIdentity>jane.doe</SourceIdentity>\n"
    "    <AssumedRoleUser>\n"
    "      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:jane.doe-29-11-26_12-00</AssumedRoleId>\n"
    "      <Arn>arn:aws:sts::111111111111:assumed-role/govuk-administrators/jane.doe-29-11-26_12-00</Arn>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>\n        " SECRET "\n      </SecretAccessKey>\n"
    "      <SessionToken>\n        " TOKEN "\n      </SessionToken>\n"
    "      <Expiration>2026-11-29T20:00:00Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static const char session_token_xml[] =
    "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <GetSessionTokenResult>\n"
    "    <Credentials>\n"
    "      <SessionToken> " TOKEN " </SessionToken>\n"
    "      <SecretAccessKey>\t" SECRET "\t</SecretAccessKey>\n"
    "      <Expiration>2026-11-30T08:00:00.123Z</Expiration>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "    </Credentials>\n"
    "  </GetSessionTokenResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>58c5dbae-abef-11e0-8cfe-09039844ac7d</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</GetSessionTokenResponse>\n";

static const char caller_identity_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <GetCallerIdentityResult>\n"
    "    <Arn>arn:aws:iam::333333333333:user/jane.doe@example.gov.uk</Arn>\n"
    "    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>\n"
    "    <Account>333333333333</Account>\n"
    "  </GetCallerIdentityResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</GetCallerIdentityResponse>\n";

static const char error_xml[] =
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <Error>\n"
    "    <Type>Sender</Type>\n"
    "    <Code>AccessDenied</Code>\n"
    "    <Message>MultiFactorAuthentication failed with invalid MFA one time pass code. "
    "</Message>\n"
    "  </Error>\n"
    "  <RequestId>4a0ee9a1-5d7d-4d2a-9d3d-0123456789ab</RequestId>\n"
    "</ErrorResponse>\n";

/* ---- helpers ---- */

static int parse_str(const char *xml, struct sts_xml *x, char *why, size_t whylen)
{
    return sts_xml_parse(xml, strlen(xml), x, why, whylen);
}

/* Copy of xml with the first <tag>...</tag> element removed. */
static char *without(const char *xml, const char *tag)
{
    char open[64], close[64];
    const char *a, *b;
    char *out;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    a = strstr(xml, open);
    assert_non_null(a);
    b = strstr(a, close);
    assert_non_null(b);
    b += strlen(close);
    out = malloc(strlen(xml) + 1);
    assert_non_null(out);
    memcpy(out, xml, (size_t)(a - xml));
    strcpy(out + (a - xml), b);
    return out;
}

/* Copy of xml with the text of the first <tag> replaced by value. */
static char *with_value(const char *xml, const char *tag, const char *value)
{
    char open[64], close[64];
    const char *a, *b;
    char *out;
    size_t head;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    a = strstr(xml, open);
    assert_non_null(a);
    b = strstr(a, close);
    assert_non_null(b);
    head = (size_t)(a - xml) + strlen(open);
    out = malloc(strlen(xml) + strlen(value) + 1);
    assert_non_null(out);
    memcpy(out, xml, head);
    strcpy(out + head, value);
    strcat(out, b);
    return out;
}

static void expect_refused(const char *xml, size_t len, const char *why_part)
{
    struct sts_xml x;
    char why[128] = "";

    assert_int_equal(sts_xml_parse(xml, len, &x, why, sizeof(why)), -1);
    if (why_part != NULL && strstr(why, why_part) == NULL)
        fail_msg("reason \"%s\" does not mention \"%s\"", why, why_part);
    assert_true(why[0] != '\0');
    /* No secret ever reaches the reason, and nothing is left behind. */
    assert_null(strstr(why, "EXAMPLEKEY"));
    assert_null(strstr(why, "IQoJb3JpZ2lu"));
    assert_int_equal(x.kind, STS_XML_NONE);
    assert_null(x.session_token);
    assert_string_equal(x.secret_access_key, "");
    sts_xml_free(&x);
}

static void expect_refused_str(const char *xml, const char *why_part)
{
    expect_refused(xml, strlen(xml), why_part);
}

/* ---- well-formed answers ---- */

static void test_assume_role(void **state)
{
    struct sts_xml x;
    char why[128] = "x";

    (void)state;
    assert_int_equal(parse_str(assume_role_xml, &x, why, sizeof(why)), 0);
    assert_string_equal(why, "");
    assert_int_equal(x.kind, STS_XML_CREDENTIALS);
    assert_string_equal(x.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_string_equal(x.secret_access_key, SECRET);
    assert_string_equal(x.session_token, TOKEN);
    assert_string_equal(x.expiration, "2026-11-29T20:00:00Z");
    assert_string_equal(x.assumed_role_arn,
                        "arn:aws:sts::111111111111:assumed-role/govuk-administrators/"
                        "jane.doe-29-11-26_12-00");
    assert_string_equal(x.assumed_role_id, "AROA3XFRBF535PLBIFPI4:jane.doe-29-11-26_12-00");
    assert_string_equal(x.source_identity, "jane.doe");
    assert_string_equal(x.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
    sts_xml_free(&x);
    assert_null(x.session_token);
    assert_string_equal(x.secret_access_key, "");
    sts_xml_free(&x);   /* twice is harmless */
}

static void test_assume_role_prefixed_namespace(void **state)
{
    static const char xml[] =
        "<sts:AssumeRoleResponse xmlns:sts=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<sts:AssumeRoleResult><sts:AssumedRoleUser>"
        "<sts:AssumedRoleId>AROAEXAMPLE:s</sts:AssumedRoleId>"
        "<sts:Arn>arn:aws:sts::111111111111:assumed-role/r/s</sts:Arn></sts:AssumedRoleUser>"
        "<sts:Credentials><sts:AccessKeyId>ASIAIOSFODNN7EXAMPLE</sts:AccessKeyId>"
        "<sts:SecretAccessKey>" SECRET "</sts:SecretAccessKey>"
        "<sts:SessionToken>" TOKEN "</sts:SessionToken>"
        "<sts:Expiration>2026-11-29T20:00:00Z</sts:Expiration></sts:Credentials>"
        "</sts:AssumeRoleResult><sts:ResponseMetadata><sts:RequestId>r-1</sts:RequestId>"
        "</sts:ResponseMetadata></sts:AssumeRoleResponse>";
    struct sts_xml x;
    char why[128];

    (void)state;
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    assert_int_equal(x.kind, STS_XML_CREDENTIALS);
    assert_string_equal(x.session_token, TOKEN);
    assert_string_equal(x.source_identity, "");
    sts_xml_free(&x);
}

static void test_session_token(void **state)
{
    struct sts_xml x;
    char why[128];

    (void)state;
    assert_int_equal(parse_str(session_token_xml, &x, why, sizeof(why)), 0);
    assert_int_equal(x.kind, STS_XML_CREDENTIALS);
    assert_string_equal(x.secret_access_key, SECRET);
    assert_string_equal(x.session_token, TOKEN);
    assert_string_equal(x.expiration, "2026-11-30T08:00:00.123Z");
    assert_string_equal(x.assumed_role_arn, "");
    assert_string_equal(x.request_id, "58c5dbae-abef-11e0-8cfe-09039844ac7d");
    sts_xml_free(&x);
}

static void test_caller_identity(void **state)
{
    struct sts_xml x;
    char why[128];

    (void)state;
    assert_int_equal(parse_str(caller_identity_xml, &x, why, sizeof(why)), 0);
    assert_int_equal(x.kind, STS_XML_CALLER_IDENTITY);
    assert_string_equal(x.arn, "arn:aws:iam::333333333333:user/jane.doe@example.gov.uk");
    assert_string_equal(x.user_id, "AIDACKCEVSQ6C2EXAMPLE");
    assert_string_equal(x.account, "333333333333");
    assert_null(x.session_token);
    sts_xml_free(&x);
}

static void test_error_response(void **state)
{
    struct sts_xml x;
    char why[128], *xml;

    (void)state;
    assert_int_equal(parse_str(error_xml, &x, why, sizeof(why)), 0);
    assert_int_equal(x.kind, STS_XML_ERROR);
    assert_string_equal(x.error_type, "Sender");
    assert_string_equal(x.error_code, "AccessDenied");
    assert_string_equal(x.error_message,
                        "MultiFactorAuthentication failed with invalid MFA one time pass code.");
    assert_string_equal(x.request_id, "4a0ee9a1-5d7d-4d2a-9d3d-0123456789ab");
    sts_xml_free(&x);

    xml = without(error_xml, "Type");           /* Type is optional */
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    assert_string_equal(x.error_type, "");
    assert_string_equal(x.error_code, "AccessDenied");
    sts_xml_free(&x);
    free(xml);

    xml = without(error_xml, "Message");        /* so is Message: the code still tells */
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    assert_string_equal(x.error_message, "");
    sts_xml_free(&x);
    free(xml);

    /* A message over several lines arrives as one. */
    xml = with_value(error_xml, "Message", "\n  Signature expired:\n\t 20261129T120000Z is now"
                                           " earlier than 20261129T121500Z  \n");
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    assert_string_equal(x.error_message,
                        "Signature expired: 20261129T120000Z is now earlier than 20261129T121500Z");
    sts_xml_free(&x);
    free(xml);
}

/* A body that came with HTTP 200 but has the ErrorResponse shape is an error. */
static void test_error_shape_is_error_whatever_the_status(void **state)
{
    static const char xml[] =
        "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message>"
        "<Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId></Credentials></Error>"
        "<RequestId>abc-1</RequestId></ErrorResponse>";
    struct sts_xml x;
    char why[128];

    (void)state;
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    assert_int_equal(x.kind, STS_XML_ERROR);
    assert_string_equal(x.error_code, "Throttling");
    assert_string_equal(x.access_key_id, "");
    sts_xml_free(&x);
}

/* ---- missing fields ---- */

static void expect_each_required(const char *xml, const char *const *tags)
{
    for (size_t i = 0; tags[i] != NULL; i++) {
        char *cut = without(xml, tags[i]);
        expect_refused_str(cut, tags[i]);
        free(cut);
    }
}

static void test_required_fields(void **state)
{
    static const char *const assume_role[] = { "AccessKeyId", "SecretAccessKey",
        "SessionToken", "Expiration", "Arn", "AssumedRoleId", "RequestId", NULL };
    static const char *const session[] = { "AccessKeyId", "SecretAccessKey", "SessionToken",
        "Expiration", "RequestId", NULL };
    static const char *const identity[] = { "Arn", "UserId", "Account", "RequestId", NULL };
    static const char *const error[] = { "Code", "RequestId", NULL };

    (void)state;
    expect_each_required(assume_role_xml, assume_role);
    expect_each_required(session_token_xml, session);
    expect_each_required(caller_identity_xml, identity);
    expect_each_required(error_xml, error);
    /* A whole group gone. */
    expect_each_required(assume_role_xml, (const char *const[]){ "Credentials",
        "AssumedRoleUser", "ResponseMetadata", NULL });
}

/* ---- bad values ---- */

static void expect_bad_value(const char *xml, const char *tag, const char *value)
{
    char *bad = with_value(xml, tag, value);

    expect_refused_str(bad, tag);
    free(bad);
}

static void test_bad_characters(void **state)
{
    (void)state;
    expect_bad_value(assume_role_xml, "AccessKeyId", "ASIAIOSF\nODNN7EXAMPLE");
    expect_bad_value(assume_role_xml, "AccessKeyId", "ASIAIOSF\"ODNN7EXAMPLE");
    expect_bad_value(assume_role_xml, "AccessKeyId", "$(touch /tmp/x)ASIAIOSFODNN7");
    expect_bad_value(assume_role_xml, "AccessKeyId", "asiaiosfodnn7example");
    expect_bad_value(assume_role_xml, "SecretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPx'RfiCYzEXAMPLEKEY");
    expect_bad_value(assume_role_xml, "SecretAccessKey", "wJalrXUtnFEMI K7MDENGbPxRfiCYzEXAMPLEKEY");
    expect_bad_value(assume_role_xml, "SecretAccessKey", "short");
    expect_bad_value(assume_role_xml, "SessionToken", "IQoJb3JpZ2lu\nX2VjEPTEXAMPLETOKEN");
    expect_bad_value(assume_role_xml, "SessionToken", "IQoJb3JpZ2lu&quot;X2VjEPTEXAMPLE");
    expect_bad_value(assume_role_xml, "SessionToken", "IQoJb3JpZ2lu$(reboot)X2VjEPTEXAMPLE");
    expect_bad_value(assume_role_xml, "SessionToken", "IQoJb3JpZ2lu`id`X2VjEPTEXAMPLETOKEN");
    expect_bad_value(assume_role_xml, "SessionToken", "IQoJb3JpZ2lu&#10;X2VjEPTEXAMPLETOKEN");
    expect_bad_value(assume_role_xml, "Expiration", "tomorrow");
    expect_bad_value(assume_role_xml, "Expiration", "2026-11-29 20:00:00Z");
    expect_bad_value(assume_role_xml, "Arn", "arn:aws:sts::1:assumed-role/x/'$(id)'");
    expect_bad_value(assume_role_xml, "AssumedRoleId", "AROA\"x");
    expect_bad_value(assume_role_xml, "SourceIdentity", "jane doe");
    expect_bad_value(assume_role_xml, "RequestId", "c6104cbe;rm -rf");
    expect_bad_value(caller_identity_xml, "Account", "33333333333x");
    expect_bad_value(caller_identity_xml, "Account", "3333");
    expect_bad_value(error_xml, "Code", "Access Denied");
    expect_bad_value(error_xml, "Message", "bell\x7fhere");
}

/* ---- hostile or broken documents ---- */

static void test_doctype_refused(void **state)
{
    static const char plain[] =
        "<!DOCTYPE AssumeRoleResponse>\n<AssumeRoleResponse/>";
    static const char xxe[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
        "<ErrorResponse><Error><Code>&xxe;</Code></Error><RequestId>1</RequestId>"
        "</ErrorResponse>";
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n<ErrorResponse><Error><Code>x</Code><Message>&lol9;</Message></Error>"
        "<RequestId>1</RequestId></ErrorResponse>";
    struct timespec t0, t1;

    (void)state;
    expect_refused_str(plain, "DOCTYPE");
    expect_refused_str(xxe, "DOCTYPE");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_refused_str(laughs, "DOCTYPE");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 100);
    /* An undeclared entity is an XML error, never a lookup. */
    expect_refused_str("<ErrorResponse><Error><Code>&xxe;</Code></Error></ErrorResponse>",
                       "well-formed");
}

static void test_too_deep(void **state)
{
    char xml[2048] = "<ErrorResponse>";
    struct sts_xml x;
    char why[128];

    (void)state;
    for (int i = 0; i < 20; i++)
        strcat(xml, "<a>");
    for (int i = 0; i < 20; i++)
        strcat(xml, "</a>");
    strcat(xml, "</ErrorResponse>");
    expect_refused_str(xml, "deeper than 16");

    /* 16 levels (root included) are fine; unknown elements are ignored. */
    strcpy(xml, "<ErrorResponse><Error><Code>X</Code></Error><RequestId>1</RequestId>");
    for (int i = 0; i < 15; i++)
        strcat(xml, "<a>");
    for (int i = 0; i < 15; i++)
        strcat(xml, "</a>");
    strcat(xml, "</ErrorResponse>");
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    sts_xml_free(&x);
}

static void test_too_long(void **state)
{
    char *long_token = malloc(4098), *xml;
    char long_message[1100];

    (void)state;
    assert_non_null(long_token);
    memset(long_token, 'A', 4097);
    long_token[4097] = '\0';
    xml = with_value(assume_role_xml, "SessionToken", long_token);
    expect_refused_str(xml, "too long: Credentials/SessionToken");
    free(xml);
    long_token[4096] = '\0';                 /* exactly the cap, whitespace around: fine */
    char *padded = malloc(4096 + 40);
    assert_non_null(padded);
    snprintf(padded, 4096 + 40, "\n            %s\n      ", long_token);
    xml = with_value(assume_role_xml, "SessionToken", padded);
    struct sts_xml x;
    char why[128];
    assert_int_equal(parse_str(xml, &x, why, sizeof(why)), 0);
    assert_int_equal(strlen(x.session_token), 4096);
    sts_xml_free(&x);
    free(xml);
    free(padded);
    free(long_token);

    memset(long_message, 'm', sizeof(long_message) - 1);
    long_message[sizeof(long_message) - 1] = '\0';
    xml = with_value(error_xml, "Message", long_message);
    expect_refused_str(xml, "too long: Error/Message");
    free(xml);
    xml = with_value(assume_role_xml, "AccessKeyId",
                     "ASIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect_refused_str(xml, "too long: Credentials/AccessKeyId");
    free(xml);
}

static void test_too_large(void **state)
{
    size_t len = PAR_STS_XML_MAX + 1;
    char *big = malloc(len + 1);

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    memcpy(big, "<ErrorResponse>", 15);
    big[len] = '\0';
    expect_refused(big, len, "larger than");
    free(big);
}

static void test_broken_documents(void **state)
{
    char half[sizeof(assume_role_xml)];
    struct sts_xml x;
    char why[128];

    (void)state;
    memcpy(half, assume_role_xml, sizeof(half) / 2);
    expect_refused(half, sizeof(half) / 2, "well-formed");
    expect_refused(assume_role_xml, strlen(assume_role_xml) - 3, "well-formed");
    expect_refused_str("Service Unavailable", "well-formed");
    expect_refused_str("{\"Error\":{\"Code\":\"Throttling\"}}", "well-formed");
    expect_refused_str("<html><body>502 Bad Gateway</body></html>", "unexpected answer");
    expect_refused_str("<AssumeRoleResult/>", "unexpected answer");
    expect_refused_str("<Foo:ErrorResponseX/>", "unexpected answer");
    expect_refused("", 0, "empty");
    expect_refused("<a\0b/>", 6, "well-formed");
    /* Trailing garbage after the root. */
    char *tail = malloc(strlen(error_xml) + 16);
    assert_non_null(tail);
    strcpy(tail, error_xml);
    strcat(tail, "<more/>");
    expect_refused_str(tail, "well-formed");
    free(tail);
    /* NULL body */
    assert_int_equal(sts_xml_parse(NULL, 0, &x, why, sizeof(why)), -1);
}

static void test_structure_refusals(void **state)
{
    char *xml;

    (void)state;
    /* Twice the same field: never pick one silently. */
    xml = with_value(assume_role_xml, "Expiration",
                     "2026-11-29T20:00:00Z</Expiration><Expiration>2030-01-01T00:00:00Z");
    expect_refused_str(xml, "repeats Credentials/Expiration");
    free(xml);
    /* Markup inside a value. */
    xml = with_value(assume_role_xml, "SessionToken", "<b>" TOKEN "</b>");
    expect_refused_str(xml, "inside Credentials/SessionToken");
    free(xml);
    /* A field at the wrong place is not the field. */
    xml = with_value(caller_identity_xml, "GetCallerIdentityResult",
                     "<Arn>arn:aws:iam::333333333333:user/x</Arn><UserId>AIDA</UserId>"
                     "<Result><Account>333333333333</Account></Result>");
    expect_refused_str(xml, "no Account");
    free(xml);
}

static void test_reason_fits_small_buffer(void **state)
{
    struct sts_xml x;
    char why[8];

    (void)state;
    assert_int_equal(parse_str("<nope/>", &x, why, sizeof(why)), -1);
    assert_int_equal(strlen(why), sizeof(why) - 1);
    assert_int_equal(parse_str("<nope/>", &x, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assume_role),
        cmocka_unit_test(test_assume_role_prefixed_namespace),
        cmocka_unit_test(test_session_token),
        cmocka_unit_test(test_caller_identity),
        cmocka_unit_test(test_error_response),
        cmocka_unit_test(test_error_shape_is_error_whatever_the_status),
        cmocka_unit_test(test_required_fields),
        cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_doctype_refused),
        cmocka_unit_test(test_too_deep),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_broken_documents),
        cmocka_unit_test(test_structure_refusals),
        cmocka_unit_test(test_reason_fits_small_buffer),
    };

    return cmocka_run_group_tests_name("sts_xml", tests, NULL, NULL);
}
