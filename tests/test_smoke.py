def test_enterprise_upload_lists_every_link(enterprise_user, upload_image, client_for):
    body = upload_image(enterprise_user)

    listing = client_for(enterprise_user).get("/api/images/").json()

    assert [image["id"] for image in listing["results"]] == [body["id"]]
    assert sorted(body["thumbnails"]) == ["200", "400"]
    assert "original" in body and "expiring_links" in body
