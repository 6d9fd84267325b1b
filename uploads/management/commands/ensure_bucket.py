"""manage.py ensure_bucket: make sure the bucket of image files exists, private."""

import time

from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from uploads.objectstore import is_object_storage


class Command(BaseCommand):
    help = (
        "Create the S3 bucket named by IMAGEAPI_S3_BUCKET if it does not exist, "
        "with no public access; do nothing when files are kept under MEDIA_ROOT. "
        "Waits for an object store that is still starting."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=int,
            default=60,
            help="Seconds to wait for the object store to answer (default 60).",
        )

    def handle(self, *args, wait, **options):
        storage = storages["default"]
        if not is_object_storage(storage):
            self.stdout.write("Image files are kept under MEDIA_ROOT; no bucket.")
            return

        client = storage.connection.meta.client
        bucket = storage.bucket_name
        if self._bucket_exists(client, bucket, wait):
            self.stdout.write(f"Bucket {bucket} exists.")
            return
        options = {}
        region = client.meta.region_name
        if region and region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": region}
        # No ACL is given, so the bucket is private; blocking public access
        # keeps a later ACL or policy from opening it.
        try:
            client.create_bucket(Bucket=bucket, **options)
        except ClientError as exc:
            # Another web process starting at the same moment was first.
            if exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                raise CommandError(f"Bucket {bucket} not created: {exc}") from exc
            self.stdout.write(f"Bucket {bucket} exists.")
            return
        self._block_public_access(client, bucket)
        self.stdout.write(self.style.SUCCESS(f"Bucket {bucket} created, private."))

    def _bucket_exists(self, client, bucket, wait):
        deadline = time.monotonic() + wait
        while True:
            try:
                client.head_bucket(Bucket=bucket)
            except ClientError as exc:
                if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                    return False
                raise CommandError(f"Bucket {bucket} cannot be used: {exc}") from exc
            except EndpointConnectionError as exc:
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"The object store did not answer: {exc}"
                    ) from exc
                time.sleep(1)
            else:
                return True

    def _block_public_access(self, client, bucket):
        try:
            client.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        except ClientError as exc:
            # Several S3-compatible stores lack this call; their buckets
            # are private until someone adds a policy by hand.
            self.stderr.write(f"Public access block not set: {exc}")
