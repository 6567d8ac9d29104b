"""The proxy's client for Wazzup: adds the credential, maps every failure to a `Problem`.

    wazzup = WazzupClient(settings, httpx.AsyncClient())
    link = await wazzup.create_link(request)      # v3 or v2, as WAZZUP_API says
    await wazzup.push_deals(deals)                # v3 with the API key, else v2 with the token

Which credential each call uses:

    chat links      WAZZUP_API=v3: POST /v3/iframe with WAZZUP_API_KEY
                    WAZZUP_API=v2: POST /v2/iframe-links/chats with WAZZUP_PARTNER_TOKEN
    users, contacts, deals
                    WAZZUP_API_KEY set: POST /v3/{users,contacts,deals} (an integrator may
                    set both credentials); otherwise POST /v2/{users,contacts,deals} with
                    WAZZUP_PARTNER_TOKEN, snake_case bodies wrapped as {"deals": [...]}

Upstream timeout → 504, other transport failures → 502, Wazzup refusals → a `Problem` that
says what to fix. A 429 is retried once after Retry-After (or the 5-s window) when that wait
is at most UPSTREAM_RETRY_MAX_WAIT_S; then it reaches the page as 429 with Retry-After.
Upstream bodies are parsed, never echoed raw, and no credential appears in what this module
returns, raises or logs.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from components.entities import (
    MAX_ENTITIES_PER_REQUEST,
    Contact,
    Deal,
    PartnerContact,
    PartnerDeal,
    PartnerUser,
    User,
)
from components.events import describe_validation_error
from components.link import LinkRequest, LinkResponse, LinkUser, PartnerLinkResponse
from components.problems import Problem, explain_upstream_error
from components.wire import WireModel

from .settings import Settings

log = logging.getLogger("proxy.upstream")

RATE_WINDOW_S = 5.0  # "500 requests per 5 s; the counter resets every 5 s" (S-ERR)
MAX_REMEMBERED_USERS = 10_000

Sleep = Callable[[float], Awaitable[None]]


class UpstreamProblem(Exception):
    """An upstream call failed; `problem` is safe to show the page."""

    def __init__(self, problem: Problem, retry_after: str | None = None) -> None:
        self.problem = problem
        self.retry_after = retry_after
        super().__init__(problem.detail)


class WazzupClient:
    def __init__(
        self, settings: Settings, http: httpx.AsyncClient, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._settings = settings
        self._http = http
        self._sleep = sleep
        self._upserted: set[tuple[str, str]] = set()
        self._timeout = httpx.Timeout(settings.upstream_timeout_s)

    @property
    def entity_api(self) -> str:
        """The API of entity pushes: v3 when the API key is set, else v2 (partner token)."""
        return "v3" if self._settings.wazzup_api_key is not None else "v2"

    async def create_link(self, request: LinkRequest) -> LinkResponse:
        await self.ensure_user(request.user)
        if self._settings.wazzup_api == "v2":
            url = f"{self._settings.wazzup_partner_base_url}/v2/iframe-links/chats"
            body = await self._send("POST", url, request.to_v2(), self._partner_token())
            return _parse_answer(PartnerLinkResponse, body).to_link_response()
        url = f"{self._settings.wazzup_base_url}/v3/iframe"
        body = await self._send("POST", url, request.to_v3(), self._api_key())
        return _parse_answer(LinkResponse, body)

    async def ensure_user(self, user: LinkUser) -> None:
        """Upsert the link's user when UPSERT_USERS is on and the request names them.

        Whether Wazzup needs the user first is undocumented (wazzup-api.md §1): a failed
        upsert is logged and the link is requested anyway.
        """
        if not self._settings.upsert_users or not user.name:
            return
        key = (user.id, user.name)
        if key in self._upserted:
            return
        try:
            await self.upsert_users([User(id=user.id, name=user.name)])
        except UpstreamProblem as error:
            log.warning("user %r not upserted before its link: %s", user.id, error.problem.code)
            return
        except ValidationError as error:
            log.warning("user %r not upserted before its link: %s", user.id, error.errors()[0])
            return
        if len(self._upserted) >= MAX_REMEMBERED_USERS:
            self._upserted.clear()
        self._upserted.add(key)

    async def upsert_users(self, users: Sequence[User]) -> None:
        await self._post_entities("users", users, PartnerUser)

    async def push_contacts(self, contacts: Sequence[Contact]) -> None:
        await self._post_entities("contacts", contacts, PartnerContact)

    async def push_deals(self, deals: Sequence[Deal]) -> None:
        await self._post_entities("deals", deals, PartnerDeal)

    async def check(self) -> dict[str, Any]:
        """Reachability of Wazzup with our credential (`GET /v3/channels`)."""
        if self.entity_api == "v2":
            return {"ok": True, "detail": "v2 partner API has no cheap status call"}
        url = f"{self._settings.wazzup_base_url}/v3/channels"
        await self._send("GET", url, None, self._api_key())
        return {"ok": True}

    async def _post_entities(
        self, plural: str, entities: Sequence[WireModel], partner: type[Any]
    ) -> None:
        # Wazzup takes at most 100 entities per request.
        for start in range(0, len(entities), MAX_ENTITIES_PER_REQUEST):
            chunk = entities[start : start + MAX_ENTITIES_PER_REQUEST]
            if self.entity_api == "v3":
                url = f"{self._settings.wazzup_base_url}/v3/{plural}"
                await self._send("POST", url, [e.to_wire() for e in chunk], self._api_key())
            else:
                url = f"{self._settings.wazzup_partner_base_url}/v2/{plural}"
                body = {plural: [_to_partner(partner, e, plural) for e in chunk]}
                await self._send("POST", url, body, self._partner_token())

    def _api_key(self) -> str:
        key = self._settings.wazzup_api_key
        assert key is not None  # v3 calls are made only when it is set
        return key.get_secret_value()

    def _partner_token(self) -> str:
        token = self._settings.wazzup_partner_token
        assert token is not None  # checked by Settings when WAZZUP_API=v2 or no API key
        return token.get_secret_value()

    async def _send(self, method: str, url: str, payload: Any, credential: str) -> bytes:
        response = await self._request(method, url, payload, credential)
        if response.status_code == 429:
            wait = _retry_wait(response.headers.get("retry-after"))
            if wait <= self._settings.upstream_retry_max_wait_s:
                log.info("Wazzup answered 429; retrying once in %.1f s", wait)
                await self._sleep(wait)
                response = await self._request(method, url, payload, credential)
        if response.is_success:
            return response.content
        problem = explain_upstream_error(response.status_code, response.content)
        problem = problem.model_copy(update={"status": _status_for_page(response.status_code)})
        retry_after = response.headers.get("retry-after")
        if response.status_code == 429 and not retry_after:
            retry_after = f"{RATE_WINDOW_S:g}"
        if retry_after:
            problem = problem.model_copy(update={"retry_after": _seconds(retry_after)})
        raise UpstreamProblem(problem, retry_after)

    async def _request(
        self, method: str, url: str, payload: Any, credential: str
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credential}", "Accept": "application/json"}
        try:
            return await self._http.request(
                method, _parsed_url(url), json=payload, headers=headers, timeout=self._timeout
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


@functools.lru_cache(maxsize=64)
def _parsed_url(url: str) -> httpx.URL:
    """httpx parses a URL given as text on every request; Wazzup's few are parsed once."""
    return httpx.URL(url)


def _to_partner(partner: type[Any], entity: WireModel, plural: str) -> dict[str, Any]:
    try:
        return partner.from_entity(entity).to_wire()
    except ValidationError as error:
        raise UpstreamProblem(
            Problem(
                title="Not accepted by the v2 partner API",
                status=400,
                detail=f"{plural} (v2 partner API, used because WAZZUP_API_KEY is not set): "
                f"{describe_validation_error(error)}",
                code="VALIDATION_FAILED",
            )
        ) from None


def _status_for_page(upstream_status: int) -> int:
    # 400 and 429 are about the request the page sent; anything else is the gateway's failure.
    if upstream_status in (400, 429):
        return upstream_status
    return 502


def _retry_wait(retry_after: str | None) -> float:
    """Seconds to wait before the one retry: Retry-After, else until the window resets."""
    seconds = _seconds(retry_after) if retry_after else None
    return RATE_WINDOW_S if seconds is None else seconds


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
