"""Any change to any character of a link is a 404."""

from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .files import body_of, encode

TAMPER_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Any character a person or a program could put in a URL path, and more.
CHARACTERS = st.characters(exclude_categories=["Cs"])


@pytest.fixture
def tokens(enterprise_user, client_for, post_image):
    """Return the tokens of every kind of link to one image."""
    client = client_for(enterprise_user)
    body = post_image(enterprise_user, "photo.png", encode("PNG", size=(90, 60))).json()
    urls = [body["original"], *body["thumbnails"].values()]
    for height in (None, 200):
        data = (
            {"expires_in": 3000}
            if height is None
            else {"expires_in": 3000, "height": height}
        )
        urls.append(
            client.post(body["expiring_links"], data, format="json").json()["url"]
        )
    tokens = [urlsplit(url).path.removeprefix("/files/") for url in urls]
    for token in tokens:
        assert _get(token).status_code == 200
    return tokens


def _get(token):
    # Quoted, so the server receives exactly the changed token.
    response = Client().get("/files/" + quote(token, safe=":"))
    body_of(response)
    return response


@TAMPER_SETTINGS
@given(data=st.data())
def test_replacing_any_character_of_a_link_gives_404(tokens, data):
    token = data.draw(st.sampled_from(tokens))
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(CHARACTERS.filter(lambda ch: ch != token[index]))

    tampered = token[:index] + replacement + token[index + 1 :]

    assert _get(tampered).status_code == 404


@TAMPER_SETTINGS
@given(data=st.data())
def test_inserting_or_deleting_any_character_of_a_link_gives_404(tokens, data):
    token = data.draw(st.sampled_from(tokens))
    index = data.draw(st.integers(0, len(token)))
    inserted = data.draw(st.one_of(st.just(""), CHARACTERS))

    if inserted:
        tampered = token[:index] + inserted + token[index:]
    else:
        index = min(index, len(token) - 1)
        tampered = token[:index] + token[index + 1 :]

    assert _get(tampered).status_code == 404


def test_tampered_expiring_link_is_404_not_410_after_it_expires(tokens):
    expiring = tokens[-1]
    tampered = expiring[:-1] + ("A" if expiring[-1] != "A" else "B")

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert _get(expiring).status_code == 410
        assert _get(tampered).status_code == 404
