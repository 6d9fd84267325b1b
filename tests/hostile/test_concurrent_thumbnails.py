"""Twenty first requests for one thumbnail at once: one file, twenty images."""

import threading
import time

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.test import Client

from uploads import imagegenerators
from uploads.models import Image

from .files import body_of, decode, fetch, media_files

REQUESTS = 20


# serialized_rollback: the flush after a transactional test would otherwise
# take the builtin tiers, made by a migration, from the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_first_requests_make_one_file_and_all_get_the_image(
    basic_user, upload_image, media_root, monkeypatch
):
    link = upload_image(basic_user, size=(1200, 800))["thumbnails"]["200"]
    # Uploads make their thumbnails; take this one away, as if its height
    # had just been added to the tier.
    image = Image.objects.get()
    default_storage.delete(f"{image.folder}/200.png")
    cache.clear()
    generated = []
    real_generate = imagegenerators.Thumbnail.generate

    def slow_generate(self):
        generated.append(self.height)
        # Long enough that every request arrives while the first is busy.
        time.sleep(0.3)
        return real_generate(self)

    monkeypatch.setattr(imagegenerators.Thumbnail, "generate", slow_generate)
    start = threading.Barrier(REQUESTS)
    results = [None] * REQUESTS

    def request(index):
        try:
            start.wait()
            response = fetch(Client(raise_request_exception=False), link)
            results[index] = (response.status_code, body_of(response))
        except Exception as exc:
            results[index] = ("raised", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in results] == [200] * REQUESTS
    assert len({content for _, content in results}) == 1
    assert decode(results[0][1]).size == (300, 200)
    assert generated == [200]
    folder = Image.objects.get().folder
    assert media_files(media_root) == [f"{folder}/200.png", f"{folder}/original.png"]
