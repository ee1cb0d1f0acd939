#!/bin/sh
# Print an AWS config with N profiles (default 10000): a mix of static keys, roles on top of
# them, SSO and credential_process profiles, as a very large organisation's config looks.
# Usage: benches/gen-profiles.sh [N] > /tmp/awsenv-bench/config
set -eu
n=${1:-10000}
awk -v n="$n" 'BEGIN {
    print "[sso-session corp]"
    print "sso_start_url = https://corp.awsapps.com/start"
    print "sso_region = eu-west-1"
    print ""
    for (i = 0; i < n; i++) {
        kind = i % 4
        printf "[profile p%05d]\n", i
        printf "region = %s\n", (i % 3 == 0) ? "eu-west-1" : "us-east-1"
        if (kind == 0) {
            printf "aws_access_key_id = AKIABENCH%011d\n", i
            printf "aws_secret_access_key = benchsecret%d\n", i
        } else if (kind == 1) {
            printf "role_arn = arn:aws:iam::%012d:role/bench-%d\n", i, i
            printf "source_profile = p%05d\n", i - 1
            printf "duration_seconds = 3600\n"
        } else if (kind == 2) {
            print "sso_session = corp"
            printf "sso_account_id = %012d\n", i
            print "sso_role_name = ReadOnly"
        } else {
            printf "credential_process = /usr/local/bin/get-creds --account %d\n", i
        }
        print ""
    }
}'
