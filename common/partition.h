/*
 * AWS partitions: the one place that knows which hosts serve a region.
 * A region's partition decides the STS host, the federation (sign-in)
 * endpoint and the console host; an ARN names its partition in its second
 * field. Taken from botocore's endpoints.json ("partitions": regionRegex,
 * dnsSuffix) and AWS's federation documentation.
 */
#ifndef PAR_PARTITION_H
#define PAR_PARTITION_H

#include <stddef.h>

struct par_partition {
    const char *name;          /* "aws", "aws-cn", "aws-us-gov", "aws-iso", ... */
    const char *dns_suffix;    /* STS host is sts.REGION.DNS_SUFFIX */
    const char *signin_host;   /* NULL: no public sign-in endpoint known */
    const char *console_host;  /* NULL: none; the console home is REGION.CONSOLE_HOST */
};

/* The partition of a region name (par_valid_region form); NULL when REGION is not valid. */
const struct par_partition *par_region_partition(const char *region);
/* The partition an ARN names ("arn:PARTITION:..."); NULL when none of ours. */
const struct par_partition *par_arn_partition(const char *arn);
/* The partition called NAME ("aws-cn"); NULL when none of ours. */
const struct par_partition *par_partition_named(const char *name);
/* 0 and the URL, or -1 (no such endpoint in the partition, or it does not fit). */
int par_sts_url(const char *region, char *out, size_t outlen);      /* https://sts.REGION.SUFFIX */
int par_signin_url(const char *region, char *out, size_t outlen);   /* https://SIGNIN_HOST/federation */
int par_console_home(const char *region, char *out, size_t outlen); /* https://REGION.CONSOLE_HOST/console/home?region=REGION */
/*
 * 0 when ARN is in REGION's partition; -1 with one line in ERR otherwise
 * ("WHAT is in partition aws-cn but region eu-west-1 is in aws: fix the ARN
 * or the region"). WHAT names the value ("role_arn"). A hardware MFA serial
 * (no "arn:" prefix) names no partition and always fits.
 */
int par_check_arn_partition(const char *what, const char *arn, const char *region,
                            char *err, size_t errlen);

#endif
