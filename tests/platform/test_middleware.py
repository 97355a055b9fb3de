import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/hosts/%00/suspects",
        "/api/v1/changes?q=a%00b",
        "/hosts/web%0001/",
        "/changes/?q=%00",
        "/bridge/lookup/?host=%00",
    ],
)
def test_nul_bytes_are_a_clear_400_not_a_500(login, outsider, url):
    response = login(outsider).get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.django_db
def test_api_gets_the_error_as_json(login, outsider):
    response = login(outsider).get("/api/v1/hosts/%00/suspects")
    assert response.json() == {"detail": "The request contains a NUL character (%00), which is never valid here."}
