"""Wazzup's error shapes become one `Problem` whose detail says what to fix."""

from __future__ import annotations

import json

import pytest

from components.problems import (
    FIXES,
    Problem,
    explain_upstream_error,
    parse_upstream_error,
)
from tests.wazzup_docs import V2_CODES_BY_STATUS

V2_CASES = [(status, code) for status, codes in V2_CODES_BY_STATUS.items() for code in codes]


def v2_problem(status: int, code: str, errors: list[str] | None = None) -> dict:
    body = {
        "code": code,
        "title": "Validation Failed" if status == 400 else "Some Title",
        "status": status,
        "detail": f"upstream detail for {code}",
        "instance": "/v2/iframe-links/chats",
        "method": "POST",
    }
    if errors is not None:
        body["errors"] = errors
    return body


def test_v3_iframe_error_gives_its_code_and_fix() -> None:
    problem = explain_upstream_error(400, b'{"error": {"code": "NO_SUCH_ACCOUNT"}}')

    assert problem.code == "NO_SUCH_ACCOUNT"
    assert problem.detail == FIXES["NO_SUCH_ACCOUNT"]
    assert "WAZZUP_API_KEY" in problem.detail
    assert problem.status == 400
    assert "NO_SUCH_ACCOUNT" in problem.title


def test_v3_iframe_error_with_a_description_keeps_the_fix_for_known_codes() -> None:
    body = {"error": {"code": "VALIDATION_FAILED", "description": "user.id is required"}}

    code, description, _ = parse_upstream_error(400, json.dumps(body))

    assert (code, description) == ("VALIDATION_FAILED", "user.id is required")
    assert explain_upstream_error(400, body).detail == FIXES["VALIDATION_FAILED"]


def test_v3_common_error_gives_code_fix_and_field_errors() -> None:
    body = {
        "error": "INVALID_CONTACTS_DATA",
        "description": "Invalid contacts data",
        "data": [{"index": 0, "fields": ["name"]}, {"index": 3, "fields": ["uri"]}],
    }

    problem = explain_upstream_error(400, json.dumps(body).encode())

    assert problem.code == "INVALID_CONTACTS_DATA"
    assert problem.detail == FIXES["INVALID_CONTACTS_DATA"]
    assert problem.errors == ["item 0: ['name']", "item 3: ['uri']"]


def test_v3_common_error_with_an_unlisted_code_falls_back_to_its_description() -> None:
    body = {"error": "somethingNew", "description": "URI does not return 200 OK"}

    problem = explain_upstream_error(400, json.dumps(body))

    assert problem.code == "somethingNew"
    assert problem.detail == "URI does not return 200 OK"


def test_v3_common_error_with_status_and_request_id_parses() -> None:
    body = {"error": "TOO_MANY_ENTITIES", "status": 400, "requestId": "r-1", "description": "x"}

    assert explain_upstream_error(400, body).detail == FIXES["TOO_MANY_ENTITIES"]


def test_v3_field_errors_in_field_message_form_are_listed() -> None:
    body = {"error": "X", "data": [{"field": "chatId", "message": "bad"}, "junk", 3]}

    assert parse_upstream_error(400, body)[2] == ["chatId: bad"]


def test_v2_documented_validation_example_gives_code_fix_and_errors() -> None:
    body = v2_problem(
        400,
        "VALIDATION_FAILED",
        ["user_id should not be empty", "scope must be a valid enum value"],
    )

    problem = explain_upstream_error(400, json.dumps(body))

    assert problem.code == "VALIDATION_FAILED"
    assert problem.detail == FIXES["VALIDATION_FAILED"]
    assert problem.errors == body["errors"]


@pytest.mark.parametrize(("status", "code"), V2_CASES)
def test_every_documented_v2_code_parses_with_its_status(status: int, code: str) -> None:
    problem = explain_upstream_error(status, json.dumps(v2_problem(status, code)))

    assert problem.code == code
    assert problem.status == status
    assert problem.detail == FIXES[code]
    assert problem.errors == []


@pytest.mark.parametrize("code", sorted(FIXES))
def test_every_code_with_a_fix_gives_that_fix(code: str) -> None:
    problem = explain_upstream_error(400, {"error": code, "description": "not this"})

    assert problem.detail == FIXES[code]
    assert problem.detail != "not this"


def test_every_documented_v2_code_has_a_fix() -> None:
    assert {code for _, code in V2_CASES} <= set(FIXES)


def test_v2_unlisted_code_falls_back_to_its_detail() -> None:
    body = v2_problem(403, "OAUTH_SOMETHING_NEW")

    assert explain_upstream_error(403, body).detail == "upstream detail for OAUTH_SOMETHING_NEW"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "BAD_REQUEST"),
        (401, "UNAUTHORIZED"),
        (403, "FORBIDDEN"),
        (404, "NOT_FOUND"),
        (429, "TOO_MANY_REQUESTS"),
        (500, "INTERNAL_SERVER_ERROR"),
        (503, "INTERNAL_SERVER_ERROR"),
        (418, "ERROR"),
    ],
)
@pytest.mark.parametrize("body", [b"", "", None, b"<html>Bad Gateway</html>", b"[]"])
def test_empty_or_unreadable_body_falls_back_by_status(
    status: int, code: str, body: bytes | str | None
) -> None:
    problem = explain_upstream_error(status, body)

    assert problem.code == code
    assert problem.status == status
    assert problem.errors == []
    assert problem.detail == FIXES.get(code, f"Wazzup answered HTTP {status}.")


def test_unauthorized_fallback_names_the_api_key_setting() -> None:
    assert "WAZZUP_API_KEY" in explain_upstream_error(401, b"").detail


def test_problem_wire_form_is_rfc9457_with_code_and_retry_after() -> None:
    problem = Problem(title="T", status=429, detail="D", code="C").model_copy(
        update={"retry_after": 3.0}
    )

    wire = problem.to_wire()

    assert wire == {
        "type": "about:blank",
        "title": "T",
        "status": 429,
        "detail": "D",
        "code": "C",
        "errors": [],
        "retryAfter": 3.0,
    }
    assert Problem.model_validate(wire) == problem


def test_problem_without_retry_after_leaves_it_out() -> None:
    assert "retryAfter" not in Problem(title="T", status=400, detail="D").to_wire()
