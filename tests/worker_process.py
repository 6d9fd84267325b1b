"""A stand-in for one application worker, driven through stdin.

Run as `python tests/worker_process.py USERNAME` with the settings in the
environment. Each line read is a path; the worker GETs it through Django's
full request handling, logged in as USERNAME, and prints one JSON line:
{"status": ..., "body": ...}. tests/test_shared_cache.py starts two.
"""

import json
import sys

import django


def main(username):
    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    for line in sys.stdin:
        response = client.get(line.strip(), HTTP_ACCEPT="application/json")
        print(json.dumps({"status": response.status_code, "body": response.json()}))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
