from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from kam.api import exception_handler


def test_integrity_error_from_a_race_is_a_400_not_a_500():
    response = exception_handler(IntegrityError("duplicate key value"), {})
    assert response is not None and response.status_code == 400
    assert "non_field_errors" in response.data["errors"]


def test_service_validation_error_keeps_field_names():
    response = exception_handler(ValidationError({"name": ["bad"], "__all__": ["worse"]}), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"name": ["bad"], "non_field_errors": ["worse"]}


def test_unknown_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None
