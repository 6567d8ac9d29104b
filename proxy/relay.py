"""The CRM relay: records from the page, forwarded to the one CRM URL this proxy is set up with.

For CRMs that need a secret header or do not speak CORS (site.json `crmMode: "proxy"`)::

    CRM_URL=https://crm.example.com/hooks/wazzup
    CRM_HEADERS='{"Authorization": "Bearer s3cret"}'

    POST /api/crm/records   a CrmRecord → the CRM's answer, mapped faithfully:
        2xx                 the CRM's status and JSON answer (a non-JSON one as a short text)
        4xx / 5xx           the CRM's status, a problem body with the CRM's own message,
                            and its Retry-After
        502 / 504           the CRM is unreachable / did not answer in CRM_TIMEOUT_S
    GET  /api/schema/answer JSON Schema of the CRM's answer

The target is only ever `CRM_URL`: nothing the browser sends names where a record goes. The
body is validated as a `CrmRecord` and re-serialised, so only the record's fields travel; the
browser's own headers (cookies, origin) never do. `CRM_HEADERS` never reach the browser and
are redacted from logs (`Settings.secrets`).
"""

from __future__ import annotations

import json
import logging

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from components.delivery import crm_message
from components.events import describe_validation_error
from components.http import MAX_ANSWER_BYTES, HttpResult, json_body
from components.problems import PROBLEM_CONTENT_TYPE, Problem
from components.records import IDEMPOTENCY_HEADER, CrmRecord, answer_json_schema

from .clients import SharedClient
from .settings import Settings

RELAY_PATH = "/api/crm/records"
NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger("proxy.relay")


def crm_relay(settings: Settings, http: httpx.AsyncClient | None = None) -> APIRouter:
    """The relay's routes; `http` is the proxy's shared client (tests pass a mock one)."""
    client = SharedClient(http)
    router = APIRouter(lifespan=client.lifespan)

    @router.post(RELAY_PATH)
    async def relay_record(request: Request) -> Response:
        if not settings.crm_url:
            return problem(404, "No CRM relay", "This proxy has no CRM_URL.", "CRM_RELAY_OFF")
        record = await read_record(request, settings.max_body_bytes)
        if isinstance(record, Response):
            return record
        result = await forward(client(), settings, record)
        if isinstance(result, Response):
            return result
        log.info("record %s relayed: the CRM answered %d", record.idempotency_key, result.status)
        return crm_answer(result)

    @router.get("/api/schema/answer")
    async def answer_schema() -> Response:
        return JSONResponse(answer_json_schema())

    return router


async def read_record(request: Request, max_bytes: int) -> CrmRecord | Response:
    """The posted record, or a problem `Response` saying what is wrong with it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return problem(
            415,
            "Unsupported content type",
            "Send the record as application/json.",
            "UNSUPPORTED_MEDIA_TYPE",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            return problem(
                413,
                "Request too large",
                f"The record must be at most {max_bytes} bytes.",
                "PAYLOAD_TOO_LARGE",
            )
    try:
        record = CrmRecord.model_validate_json(bytes(body))
    except ValidationError as error:
        return problem(400, "Invalid record", describe_validation_error(error), "VALIDATION_FAILED")
    header_key = request.headers.get(IDEMPOTENCY_HEADER)
    if header_key is not None and header_key != record.idempotency_key:
        return problem(
            400,
            "Idempotency-Key mismatch",
            f"The {IDEMPOTENCY_HEADER} header must equal the record's idempotencyKey.",
            "IDEMPOTENCY_KEY_MISMATCH",
        )
    return record


async def forward(
    client: httpx.AsyncClient, settings: Settings, record: CrmRecord
) -> HttpResult | Response:
    """POST the record to CRM_URL; the answer (at most MAX_ANSWER_BYTES of it) or a 502/504."""
    assert settings.crm_url is not None
    headers = {name: value.get_secret_value() for name, value in settings.crm_headers.items()}
    headers.update(
        {  # ours last: a configured header cannot change what the record says
            "Content-Type": "application/json",
            "Accept": "application/json",
            IDEMPOTENCY_HEADER: record.idempotency_key,
        }
    )
    request = client.build_request(
        "POST",
        settings.crm_url,
        content=json_body(record.to_wire()),
        headers=headers,
        timeout=httpx.Timeout(settings.crm_timeout_s),
    )
    try:
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            body, truncated = await read_capped(response)
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        log.warning("record %s: the CRM did not answer in time", record.idempotency_key)
        return problem(
            504,
            "CRM timeout",
            f"The CRM did not answer within {settings.crm_timeout_s:g} s.",
            "CRM_TIMEOUT",
        )
    except httpx.HTTPError as error:
        log.warning(
            "record %s: the CRM is unreachable (%s)", record.idempotency_key, type(error).__name__
        )
        return problem(
            502, "CRM unreachable", "The proxy could not reach the CRM.", "CRM_UNREACHABLE"
        )
    headers_out = {key.lower(): value for key, value in response.headers.items()}
    return HttpResult(response.status_code, body, headers_out, truncated)


async def read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            return bytes(body[:MAX_ANSWER_BYTES]), True
    return bytes(body), False


def crm_answer(result: HttpResult) -> Response:
    """The CRM's answer as the page should see it: same status, a body safe to pass on."""
    if 300 <= result.status < 400:
        return problem(
            502,
            "CRM redirected",
            "The CRM answered with a redirect; set CRM_URL to the address it redirects to.",
            "CRM_REDIRECT",
        )
    if not result.ok:
        headers = {}
        if (retry := result.header("retry-after")) and len(retry) < 64 and retry.isprintable():
            headers["Retry-After"] = retry
        title = "CRM refused the record" if result.status < 500 else "CRM failed"
        return problem(result.status, title, crm_message(result), "CRM_ANSWERED", headers)
    if result.status == 204 or not result.body.strip():
        return Response(status_code=result.status, headers=NO_STORE)
    if not result.truncated:
        try:
            return JSONResponse(json.loads(result.body), result.status, headers=NO_STORE)
        except ValueError:
            pass
    kind = result.header("content-type") or "no content type"
    size = "over 256 KiB" if result.truncated else f"{len(result.body)} bytes"
    return Response(
        f"The CRM's answer was not JSON ({kind}, {size}).",
        result.status,
        headers=NO_STORE,
        media_type="text/plain",
    )


def problem(
    status: int, title: str, detail: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    body = Problem(title=title, status=status, detail=detail, code=code).to_wire()
    return JSONResponse(
        body, status, headers={**NO_STORE, **(headers or {})}, media_type=PROBLEM_CONTENT_TYPE
    )
