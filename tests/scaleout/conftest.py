"""Fixtures for the tests against real servers: an S3 API, Redis, workers.

Their make targets start the servers and pass their addresses in the same
environment variables a deployment sets; nothing here fakes a server.
"""

import pytest
from django.core.files.storage import storages


@pytest.fixture
def bucket():
    """Return (storage, boto3 client) of the bucket the settings name."""
    storage = storages["default"]
    if not hasattr(storage, "bucket_name"):
        pytest.fail("IMAGEAPI_S3_BUCKET is not set: run `make test-s3`.")
    return storage, storage.connection.meta.client


@pytest.fixture
def objects_in(bucket):
    """Return a function listing the keys under a prefix of the bucket."""
    storage, client = bucket

    def keys(prefix):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=storage.bucket_name, Prefix=prefix
        )
        return sorted(
            entry["Key"] for page in pages for entry in page.get("Contents", ())
        )

    return keys
