"""The proxy's client for Wazzup: adds the credential, maps every failure to a `Problem`.

Upstream timeout → 504, other transport failures → 502, Wazzup refusals → a `Problem` that
says what to fix. Upstream bodies are parsed, never echoed raw, and the credential never
appears in what this module returns or raises.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from components.entities import MAX_ENTITIES_PER_REQUEST, Contact, Deal, User
from components.link import LinkRequest, LinkResponse, PartnerLinkResponse
from components.problems import Problem, explain_upstream_error

from .settings import Settings


class UpstreamProblem(Exception):
    """An upstream call failed; `problem` is safe to show the page."""

    def __init__(self, problem: Problem, retry_after: str | None = None) -> None:
        self.problem = problem
        self.retry_after = retry_after
        super().__init__(problem.detail)


class WazzupClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def create_link(self, request: LinkRequest) -> LinkResponse:
        if self._settings.wazzup_api == "v2":
            url = f"{self._settings.wazzup_partner_base_url}/v2/iframe-links/chats"
            body = await self._post(url, request.to_v2())
            return _parse_answer(PartnerLinkResponse, body).to_link_response()
        url = f"{self._settings.wazzup_base_url}/v3/iframe"
        body = await self._post(url, request.to_v3())
        return _parse_answer(LinkResponse, body)

    async def upsert_users(self, users: Sequence[User]) -> None:
        await self._post_entities("/v3/users", users)

    async def push_contacts(self, contacts: Sequence[Contact]) -> None:
        await self._post_entities("/v3/contacts", contacts)

    async def push_deals(self, deals: Sequence[Deal]) -> None:
        await self._post_entities("/v3/deals", deals)

    async def check(self) -> dict[str, Any]:
        """Reachability of Wazzup with our credential (`GET /v3/channels`)."""
        if self._settings.wazzup_api == "v2":
            return {"ok": True, "detail": "v2 partner API has no cheap status call"}
        await self._send("GET", f"{self._settings.wazzup_base_url}/v3/channels", None)
        return {"ok": True}

    async def _post_entities(self, path: str, entities: Sequence[Any]) -> None:
        # Wazzup takes at most 100 entities per request.
        for start in range(0, len(entities), MAX_ENTITIES_PER_REQUEST):
            chunk = entities[start : start + MAX_ENTITIES_PER_REQUEST]
            await self._post(
                f"{self._settings.wazzup_base_url}{path}", [e.to_wire() for e in chunk]
            )

    async def _post(self, url: str, payload: Any) -> bytes:
        return await self._send("POST", url, payload)

    async def _send(self, method: str, url: str, payload: Any) -> bytes:
        headers = {
            "Authorization": f"Bearer {self._settings.upstream_credential()}",
            "Accept": "application/json",
        }
        try:
            response = await self._http.request(
                method,
                url,
                json=payload,
                headers=headers,
                timeout=self._settings.upstream_timeout_s,
            )
        except httpx.TimeoutException:
            raise UpstreamProblem(
                Problem(
                    title="Wazzup did not answer in time",
                    status=504,
                    detail=f"No answer from Wazzup within {self._settings.upstream_timeout_s:g} s;"
                    " try again in a moment.",
                    code="UPSTREAM_TIMEOUT",
                )
            ) from None
        except httpx.HTTPError:
            raise UpstreamProblem(
                Problem(
                    title="Wazzup could not be reached",
                    status=502,
                    detail="The proxy could not connect to Wazzup; check the proxy's network "
                    "and WAZZUP_BASE_URL.",
                    code="UPSTREAM_UNREACHABLE",
                )
            ) from None
        if response.is_success:
            return response.content
        problem = explain_upstream_error(response.status_code, response.content)
        problem = problem.model_copy(update={"status": _status_for_page(response.status_code)})
        retry_after = response.headers.get("retry-after")
        if retry_after:
            problem = problem.model_copy(update={"retry_after": _seconds(retry_after)})
        raise UpstreamProblem(problem, retry_after)


def _status_for_page(upstream_status: int) -> int:
    # 400 and 429 are about the request the page sent; anything else is the gateway's failure.
    if upstream_status in (400, 429):
        return upstream_status
    return 502


def _seconds(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _parse_answer(model: Any, body: bytes) -> Any:
    try:
        return model.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        raise UpstreamProblem(
            Problem(
                title="Wazzup answered something unexpected",
                status=502,
                detail="Wazzup's answer did not contain a chat link; try again, and check "
                "WAZZUP_BASE_URL points at the Wazzup API.",
                code="UPSTREAM_BAD_ANSWER",
            )
        ) from None
