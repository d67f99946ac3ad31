#include <stdio.h>
#include <string.h>
#include "partition.h"
#include "valid.h"

/*
 * Region prefixes, most specific first: "us-isob-" before "us-iso-", both
 * and "us-gov-" before aws's "us-". A valid region with no other prefix is
 * in aws, the default partition (as the SDKs do for a region they do not
 * know yet, e.g. a new aws region).
 */
static const struct par_partition partitions[] = {
    { "aws-iso-b", "sc2s.sgov.gov", NULL, NULL },
    { "aws-iso", "c2s.ic.gov", NULL, NULL },
    { "aws-us-gov", "amazonaws.com", "signin.amazonaws-us-gov.com",
      "console.amazonaws-us-gov.com" },
    { "aws-cn", "amazonaws.com.cn", "signin.amazonaws.cn", "console.amazonaws.cn" },
    { "aws", "amazonaws.com", "signin.aws.amazon.com", "console.aws.amazon.com" },
};
static const char *const region_prefixes[] = { "us-isob-", "us-iso-", "us-gov-", "cn-", "" };
#define N_PARTITIONS (sizeof(partitions) / sizeof(partitions[0]))

const struct par_partition *par_region_partition(const char *region)
{
    if (!par_valid_region(region))
        return NULL;
    for (size_t i = 0; i < N_PARTITIONS; i++)
        if (strncmp(region, region_prefixes[i], strlen(region_prefixes[i])) == 0)
            return &partitions[i];
    return NULL;
}

const struct par_partition *par_partition_named(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < N_PARTITIONS; i++)
        if (strcmp(name, partitions[i].name) == 0)
            return &partitions[i];
    return NULL;
}

const struct par_partition *par_arn_partition(const char *arn)
{
    char name[16];
    const char *end;

    if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
        return NULL;
    arn += 4;
    end = strchr(arn, ':');
    if (end == NULL || (size_t)(end - arn) >= sizeof(name))
        return NULL;
    memcpy(name, arn, (size_t)(end - arn));
    name[end - arn] = '\0';
    return par_partition_named(name);
}

/* N from snprintf into OUT: 0 when it fit, else -1 and OUT is "". */
static int fitted(int n, char *out, size_t outlen)
{
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int no_url(char *out, size_t outlen)
{
    if (out != NULL && outlen > 0)
        out[0] = '\0';
    return -1;
}

int par_sts_url(const char *region, char *out, size_t outlen)
{
    const struct par_partition *p = par_region_partition(region);

    if (p == NULL || out == NULL || outlen == 0)
        return no_url(out, outlen);
    return fitted(snprintf(out, outlen, "https://sts.%s.%s", region, p->dns_suffix),
                  out, outlen);
}

int par_signin_url(const char *region, char *out, size_t outlen)
{
    const struct par_partition *p = par_region_partition(region);

    if (p == NULL || p->signin_host == NULL || out == NULL || outlen == 0)
        return no_url(out, outlen);
    return fitted(snprintf(out, outlen, "https://%s/federation", p->signin_host),
                  out, outlen);
}

int par_console_home(const char *region, char *out, size_t outlen)
{
    const struct par_partition *p = par_region_partition(region);

    if (p == NULL || p->console_host == NULL || out == NULL || outlen == 0)
        return no_url(out, outlen);
    return fitted(snprintf(out, outlen, "https://%s.%s/console/home?region=%s", region,
                           p->console_host, region), out, outlen);
}

int par_check_arn_partition(const char *what, const char *arn, const char *region,
                            char *err, size_t errlen)
{
    const struct par_partition *want = par_region_partition(region);
    const struct par_partition *have;

    if (arn == NULL || strncmp(arn, "arn:", 4) != 0 || want == NULL)
        return 0;
    have = par_arn_partition(arn);
    if (have == want)
        return 0;
    if (have == NULL)
        snprintf(err, errlen, "%s names a partition that is not aws, aws-cn, aws-us-gov, "
                 "aws-iso or aws-iso-b: fix the ARN", what);
    else
        snprintf(err, errlen, "%s is in partition %s but region %s is in %s: "
                 "fix the ARN or the region", what, have->name, region, want->name);
    return -1;
}
