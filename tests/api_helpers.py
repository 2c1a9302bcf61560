"""Assertions shared by the API tests."""

from __future__ import annotations


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def assert_validation_error(response, *fields: str) -> dict:
    """A 400 in the API's error shape, naming each of ``fields``."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "errors"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    for field in fields:
        assert field in body["errors"], body
        assert isinstance(body["errors"][field], list) and body["errors"][field], body
    return body
