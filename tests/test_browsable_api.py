"""The browsable API: HTML pages with working forms for a logged-in user."""

import re

import pytest
from django.test import Client

from uploads.models import Image

HTML = {"Accept": "text/html"}


def csrf_token_of(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def browser(db):
    """Return a function making a CSRF-checking client logged in as `user`."""

    def make(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    return make


def test_image_list_renders_an_upload_form(basic_user, upload_image, browser):
    upload_image(basic_user, "listed.png")

    response = browser(basic_user).get("/api/images/", headers=HTML)

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert re.search(r'<form [^>]*method="POST" enctype="multipart/form-data"', html)
    assert re.search(r'<input name="image"\s+type="file"', html)
    assert "listed.png" in html


def test_upload_form_posts_an_image(basic_user, browser, make_upload):
    client = browser(basic_user)
    page = client.get("/api/images/", headers=HTML).content.decode()

    response = client.post(
        "/api/images/",
        {"csrfmiddlewaretoken": csrf_token_of(page), "image": make_upload("form.png")},
        headers=HTML,
    )

    assert response.status_code == 201
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert Image.objects.get().name == "form.png"
    assert response["Location"].startswith("http://testserver/api/images/")


def test_upload_form_shows_the_refusal(basic_user, browser, make_upload, make_image):
    client = browser(basic_user)
    page = client.get("/api/images/", headers=HTML).content.decode()

    response = client.post(
        "/api/images/",
        {
            "csrfmiddlewaretoken": csrf_token_of(page),
            "image": make_upload("anim.gif", make_image("GIF")),
        },
        headers=HTML,
    )

    assert response.status_code == 400
    assert "GIF images are not accepted; upload a PNG or JPEG." in (
        response.content.decode()
    )
    assert not Image.objects.exists()


def test_session_post_without_csrf_token_is_refused(basic_user, browser, make_upload):
    response = browser(basic_user).post("/api/images/", {"image": make_upload()})

    assert response.status_code == 403
    assert not Image.objects.exists()


def test_image_detail_renders(basic_user, upload_image, browser):
    body = upload_image(basic_user, "shown.png")

    response = browser(basic_user).get(body["url"], headers=HTML)

    assert response.status_code == 200
    assert "shown.png" in response.content.decode()


def test_expiring_links_page_shows_a_form_with_expires_in(
    enterprise_user, upload_image, browser
):
    body = upload_image(enterprise_user)

    response = browser(enterprise_user).get(body["expiring_links"], headers=HTML)

    html = response.content.decode()
    # The endpoint takes only POST; the page still offers the form for it.
    assert response.status_code == 405
    assert re.search(r'<input name="expires_in" [^>]*type="number"', html)
    assert re.findall(r'<option value="(\d+)"', html) == ["200", "400"]


def test_expiring_links_form_posts_a_link(enterprise_user, upload_image, browser):
    body = upload_image(enterprise_user)
    client = browser(enterprise_user)
    page = client.get(body["expiring_links"], headers=HTML).content.decode()

    response = client.post(
        body["expiring_links"],
        {"csrfmiddlewaretoken": csrf_token_of(page), "expires_in": "600", "height": ""},
        headers=HTML,
    )

    assert response.status_code == 201
    assert "expires_at" in response.content.decode()
