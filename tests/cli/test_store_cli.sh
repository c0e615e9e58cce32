#!/usr/bin/env bash
# tplr store put/get/ls/rm/head on a folder and on S3 (moto_server started
# here): objects written by tplr read back by the AWS CLI and the reverse,
# byte for byte, multipart-sized ones included; wrong keys refused by a
# signature-checking moto_server; clear errors for missing buckets and
# unreachable endpoints, and no file left behind by a failed download.
# usage: test_store_cli.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_store_cli.sh PATH/TO/tplr}")
here=$(dirname "$(realpath "$0")")
source "$here/lib.sh"
source "$here/../store/moto.sh"
cd "$work"
trap 'for p in ${m_pid:-} ${v_pid:-}; do moto_stop $p; done; rm -rf "$work"' EXIT

for cmd in "store" "store put" "store get" "store ls" "store rm" "store head"; do
  # shellcheck disable=SC2086
  if "$TPLR" $cmd --help >/dev/null 2>&1; then ok "tplr $cmd --help"; else bad "tplr $cmd --help"; fi
done
expect_fail "unknown store command" "usage: tplr store" "$TPLR" store cp a b

# a folder
head -c 300000 /dev/urandom >small.bin
expect_fail "bad key" "'..' segment" "$TPLR" store put "$work/fs/.." small.bin
expect_ok "folder put" "$TPLR" store put "$work/fs/dir/small.bin" small.bin
expect_ok "folder get" "$TPLR" store get "file://$work/fs/dir/small.bin" back.bin
cmp -s small.bin back.bin && ok "folder round trip is byte-identical" || bad "folder round trip differs"
[ "$("$TPLR" store ls "$work/fs/" | awk '{print $1, $3}')" = "300000 dir/small.bin" ] && ok "folder ls" || bad "folder ls"
"$TPLR" store get "$work/fs/dir/missing" out.bin 2>err.txt; rc=$?
[ $rc -eq 3 ] && grep -q "fs/dir: no object 'missing'" err.txt && [ ! -e out.bin ] &&
  ok "folder: missing object exits 3, no file" || bad "folder missing: rc $rc, $(cat err.txt)"
expect_fail "folder get over --max-bytes" "more than the 1000 allowed" "$TPLR" store get "$work/fs/dir/small.bin" out.bin --max-bytes 1000
[ ! -e out.bin ] && ok "no partial file after a refused get" || bad "out.bin left behind"
expect_ok "folder rm" "$TPLR" store rm "$work/fs/dir/small.bin"
[ ! -e "$work/fs/dir/small.bin" ] && ok "rm removes the file" || bad "file left behind"

if ! command -v moto_server >/dev/null || ! command -v aws >/dev/null; then
  if [ "${TPLR_SKIP_S3_TESTS:-0}" = 1 ]; then finish; exit; fi
  bad "moto_server and the AWS CLI are needed: pip install \"moto[server]\" awscli (or TPLR_SKIP_S3_TESTS=1)"
  finish
  exit
fi

# S3: moto_server in its default mode
moto_start m "$work" || { bad "moto_server did not start"; finish; exit; }
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$m_endpoint
awsm() { aws --endpoint-url "$m_endpoint" "$@" >/dev/null 2>&1; }
awsm s3 mb s3://interop || bad "aws s3 mb"
head -c $((12 * 1024 * 1024 + 777)) /dev/urandom >mp.bin

expect_ok "tplr put (single)" "$TPLR" store put s3://interop/from-tplr/small.bin small.bin
expect_ok "tplr put (multipart, 3 parts)" "$TPLR" store put s3://interop/from-tplr/mp.bin mp.bin \
  --multipart-threshold 5242880 --part-size 5242880
"$TPLR" store head s3://interop/from-tplr/mp.bin --json | grep -q '"etag":"[0-9a-f]*-3"' &&
  ok "the multipart object has a 3-part ETag" || bad "no multipart ETag"
awsm s3 cp --recursive s3://interop/from-tplr/ by-aws/ || bad "aws s3 cp --recursive download"
cmp -s small.bin by-aws/small.bin && ok "AWS CLI reads tplr's object byte for byte" ||
  bad "AWS CLI copy of tplr's object differs"
cmp -s mp.bin by-aws/mp.bin && ok "AWS CLI reads tplr's multipart object byte for byte" ||
  bad "AWS CLI copy of tplr's multipart object differs"
mkdir up && cp small.bin mp.bin up/ # the AWS CLI uploads mp.bin (12 MiB) as a multipart upload
awsm s3 cp --recursive up/ s3://interop/from-aws/ || bad "aws s3 cp --recursive upload"
expect_ok "tplr get of an AWS CLI object" "$TPLR" store get s3://interop/from-aws/small.bin t-small.bin
cmp -s small.bin t-small.bin && ok "tplr reads the AWS CLI's object byte for byte" || bad "tplr copy differs"
expect_ok "tplr get of an AWS CLI multipart object" "$TPLR" store get s3://interop/from-aws/mp.bin t-mp.bin
cmp -s mp.bin t-mp.bin && ok "tplr reads the AWS CLI's multipart object byte for byte" || bad "tplr multipart copy differs"
"$TPLR" store get s3://interop/from-aws/small.bin - | cmp -s - small.bin && ok "get to stdout" || bad "get to stdout"
[ "$("$TPLR" store ls s3://interop/from- | awk '{print $3}' | tr '\n' ' ')" = \
  "from-aws/mp.bin from-aws/small.bin from-tplr/mp.bin from-tplr/small.bin " ] && ok "s3 ls" || bad "s3 ls"
expect_ok "s3 rm" "$TPLR" store rm s3://interop/from-tplr/small.bin
"$TPLR" store head s3://interop/from-tplr/small.bin 2>/dev/null; [ $? -eq 3 ] && ok "head after rm exits 3" || bad "head after rm"

"$TPLR" store get s3://no-such-bucket/k out.bin 2>err.txt; rc=$?
[ $rc -eq 3 ] && grep -q "NoSuchBucket" err.txt && grep -q "s3://no-such-bucket/k at $m_endpoint" err.txt &&
  [ ! -e out.bin ] && ok "missing bucket: exit 3, names bucket, key and endpoint" || bad "missing bucket: rc $rc, $(cat err.txt)"
dead=http://127.0.0.1:$(free_port)
expect_fail "unreachable endpoint" "cannot connect to the endpoint" "$TPLR" store get s3://interop/k out.bin --endpoint "$dead" --retries 1
grep -q "$dead" <<<"$("$TPLR" store ls s3://interop/ --endpoint "$dead" --retries 0 2>&1)" &&
  ok "the message names the endpoint" || bad "endpoint not named"
expect_fail "missing credentials" "AWS_ACCESS_KEY_ID" env -u AWS_ACCESS_KEY_ID "$TPLR" store ls s3://interop/

# S3: moto_server checking signatures (the first 3 requests are free: IAM setup)
moto_start v "$work" INITIAL_NO_AUTH_ACTION_COUNT=3 || { bad "verifying moto_server did not start"; finish; exit; }
awsv() { aws --endpoint-url "$v_endpoint" "$@"; }
awsv iam create-user --user-name tplr >/dev/null 2>&1
keys=$(awsv iam create-access-key --user-name tplr 2>/dev/null)
awsv iam put-user-policy --user-name tplr --policy-name all --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}' >/dev/null 2>&1
key_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKey"]["AccessKeyId"])' <<<"$keys")
secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKey"]["SecretAccessKey"])' <<<"$keys")
export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret AWS_ENDPOINT_URL=$v_endpoint
awsv s3 mb s3://secure >/dev/null 2>&1 || bad "aws s3 mb with signed requests"
# (moto's checker rejects percent-encoded query values, so keys and prefixes here avoid '/')
expect_ok "signed put with the right keys" "$TPLR" store put s3://secure/obj.bin small.bin
expect_ok "signed get with the right keys" "$TPLR" store get s3://secure/obj.bin signed.bin
cmp -s small.bin signed.bin && ok "signed round trip is byte-identical" || bad "signed round trip differs"
expect_ok "signed ls" "$TPLR" store ls s3://secure/obj
expect_fail "wrong secret refused" "SignatureDoesNotMatch" env AWS_SECRET_ACCESS_KEY=wrong-secret "$TPLR" store get s3://secure/obj.bin wrong.bin
[ ! -e wrong.bin ] && ok "refused get leaves no file" || bad "wrong.bin left behind"
expect_fail "unknown key refused" "InvalidAccessKeyId" env AWS_ACCESS_KEY_ID=AKIAUNKNOWN0000000000 "$TPLR" store ls s3://secure/
expect_fail "forbidden is named" "access refused" env AWS_SECRET_ACCESS_KEY=wrong-secret "$TPLR" store put s3://secure/x small.bin

finish
