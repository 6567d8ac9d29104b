"""The diagnostics panel's rules: each observation → a row; every row not OK says what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components.diagnostics import (
    CHECKS,
    Activity,
    Boot,
    Delivery,
    Framing,
    HealthProbe,
    Observations,
    Permissions,
    Row,
    boot_row,
    diagnose,
    events_row,
    framing_row,
    health_rows,
    outbox_row,
    permissions_row,
    public_url,
    scrub,
)
from components.errors import PermanentDelivery, TransientDelivery
from components.events import parse_event
from components.i18n import set_language
from components.outbox import Outbox
from components.records import CrmAnswer, record_from_event

NOW = datetime(2026, 11, 21, 13, 34, 40, tzinfo=UTC)
HEALTH_URL = "https://chat.example/api/health"
HEALTHY = {"proxy": "ok", "api": "v3", "unsigned": False, "upstream": {"ok": True}}
ALLOW = "microphone *; clipboard-write *"
CRM = "https://crm.example/hook"
LAUNCH = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImNybS0xIn0.eyJzdWIiOiIyMjI1NTUifQ.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")


def healthy_probe(**changes) -> HealthProbe:
    return HealthProbe(
        **{"url": HEALTH_URL, "status": 200, "body": HEALTHY, "elapsed_ms": 12.4} | changes
    )


def outbox_with(*outcomes: str) -> list:
    outbox = Outbox({}, clock=lambda: NOW.timestamp())
    for number, outcome in enumerate(outcomes):
        event = parse_event(
            {
                "type": "WZ_CREATE_ENTITY",
                "data": {"chatType": "whatsapp", "chatId": "79998887766", "userId": "u1"},
            }
        )
        key = outbox.add(record_from_event(event, receipt_id=f"r{number}")).key
        if outcome == "queued":
            continue
        outbox.sending(key)
        if outcome == "delivered":
            outbox.delivered(key, CrmAnswer())
        elif outcome == "retrying":
            outbox.failed(key, TransientDelivery("CRM answered 503: down"))
        elif outcome == "failed":
            outbox.failed(key, PermanentDelivery("CRM answered 422: email required"))
    return outbox.entries()


def everything_fine(**changes) -> Observations:
    seen = {
        "health": healthy_probe(),
        "framing": Framing(framed=False, page_origin="https://chat.example"),
        "permissions": Permissions(
            chat_allow=ALLOW,
            page={"microphone": True, "clipboard-write": True},
            chat={"microphone": True, "clipboard-write": True},
        ),
        "boot": Boot(chat_src_set_ms=900.0, events_ready_ms=2100.0),
        "activity": Activity(last_type="WZ_OUTPUT_MESSAGE", last_at=NOW - timedelta(seconds=5)),
        "delivery": Delivery(outbox_with("delivered"), CRM),
    }
    return Observations(**(seen | changes))


def by_check(rows: list[Row]) -> dict[str, Row]:
    return {row.check: row for row in rows}


def test_a_healthy_page_shows_every_check_ok() -> None:
    rows = diagnose(everything_fine(), parent_origin=None, now=NOW)

    assert [row.check for row in rows] == list(CHECKS)
    assert {row.state for row in rows} == {"ok"}
    assert all(row.fix == "" for row in rows)
    found = by_check(rows)
    assert found["proxy"].value == "answers at https://chat.example/api/health in 12 ms"
    assert found["upstream"].value == "reachable (API v3)"
    assert found["framing"].value == "opened on its own, not inside a CRM page"
    assert found["boot"].value == "chat after 0.9 s, events after 2.1 s"
    assert found["events"].value.startswith("WZ_OUTPUT_MESSAGE at ")
    assert found["events"].value.endswith("(5 s ago)")
    assert found["outbox"].value == "0 queued, 0 sending, 0 failed, 1 delivered"


def test_rows_not_ok_always_say_what_to_do() -> None:
    seen = everything_fine(
        health=HealthProbe(HEALTH_URL, error="no answer within 3 s"),
        framing=Framing(framed=True, parent_origin="https://crm.example"),
        permissions=Permissions(chat_allow=None),
        boot=Boot(),
        activity=None,
        delivery=Delivery(None, CRM),
    )
    rows = diagnose(seen, parent_origin="https://other.example", now=NOW)

    assert {row.state for row in rows} <= {"warn", "bad"}
    assert all(row.fix for row in rows)


def test_an_unreachable_proxy_is_red_and_names_proxy_url() -> None:
    proxy, upstream = health_rows(HealthProbe(HEALTH_URL, error="no answer within 3 s"))

    assert proxy.state == "bad"
    assert proxy.value == "no answer from https://chat.example/api/health: no answer within 3 s"
    assert "proxyUrl in site.json" in proxy.fix and "ALLOWED_ORIGINS" in proxy.fix
    assert (upstream.state, upstream.value) == ("warn", "unknown: the proxy did not answer")
    assert "Fix the proxy first" in upstream.fix


@pytest.mark.parametrize(
    ("status", "body"), [(502, None), (200, None), (200, {"hello": 1}), (404, {"detail": "x"})]
)
def test_something_else_answering_at_proxy_url_is_red(status, body) -> None:
    proxy, upstream = health_rows(HealthProbe(HEALTH_URL, status=status, body=body))

    assert proxy.state == "bad"
    assert f"HTTP {status}" in proxy.value
    assert "proxyUrl" in proxy.fix
    assert upstream.state == "warn"


def test_a_refused_wazzup_key_is_red_with_the_proxys_words() -> None:
    body = HEALTHY | {"upstream": {"ok": False, "detail": "Wazzup refused the API key."}}

    proxy, upstream = health_rows(healthy_probe(body=body))

    assert proxy.state == "ok"
    assert upstream.state == "bad"
    assert upstream.value == "the proxy cannot use Wazzup: Wazzup refused the API key."
    assert "WAZZUP_API_KEY" in upstream.fix


def test_an_upstream_without_an_answer_is_red() -> None:
    _, upstream = health_rows(healthy_probe(body=HEALTHY | {"upstream": None}))

    assert upstream.state == "bad"


def test_a_v2_proxy_says_why_it_did_not_check() -> None:
    body = HEALTHY | {"api": "v2", "upstream": {"ok": True, "detail": "v2 has no status call"}}

    _, upstream = health_rows(healthy_probe(body=body))

    assert (upstream.state, upstream.value) == ("ok", "reachable (API v2) (v2 has no status call)")


def test_while_checking_the_proxy_rows_say_so() -> None:
    proxy, upstream = health_rows(None)

    assert (proxy.state, proxy.value) == ("warn", "checking…")
    assert upstream.value == "checking…"


def test_framed_by_the_configured_parent_is_ok() -> None:
    row = framing_row(Framing(True, "https://crm.example"), "https://crm.example")

    assert (row.state, row.value) == ("ok", "inside https://crm.example, as parentOrigin says")


def test_framed_by_another_origin_than_parent_origin_is_red_and_says_what_to_set() -> None:
    row = framing_row(Framing(True, "https://crm.example"), "https://old-crm.example")

    assert row.state == "bad"
    assert row.value == "inside https://crm.example, but parentOrigin is https://old-crm.example"
    assert row.fix == (
        'The CRM page gets no events from this page: set "parentOrigin": '
        '"https://crm.example" in site.json.'
    )


def test_framed_without_parent_origin_is_amber_and_says_what_to_set() -> None:
    row = framing_row(Framing(True, "https://crm.example"), None)

    assert row.state == "warn"
    assert '"parentOrigin": "https://crm.example"' in row.fix


@pytest.mark.parametrize("origin", [None, "", "null"])
def test_framed_by_an_unknown_origin_is_amber(origin) -> None:
    row = framing_row(Framing(True, origin), None)

    assert row.state == "warn"
    assert "parentOrigin in site.json (not set)" in row.fix


def test_a_host_iframe_without_allow_is_red_and_says_what_to_add() -> None:
    permissions = Permissions(
        chat_allow=ALLOW, page={"microphone": False, "clipboard-write": False}
    )

    row = permissions_row(permissions)

    assert row.state == "bad"
    assert row.value == "the CRM page does not pass on: microphone, clipboard-write"
    assert 'allow="microphone; clipboard-write"' in row.fix
    assert "<iframe>" in row.fix


def test_a_chat_frame_missing_a_permission_is_red() -> None:
    row = permissions_row(Permissions(chat_allow="microphone *"))

    assert row.state == "bad"
    assert row.value == "the chat window's frame lacks: clipboard-write"


def test_a_chat_frame_the_browser_denies_a_feature_is_red() -> None:
    row = permissions_row(Permissions(chat_allow=ALLOW, chat={"microphone": False}))

    assert (row.state, row.value) == ("bad", "the chat window's frame lacks: microphone")


def test_permissions_unknown_to_the_browser_count_as_allowed() -> None:
    assert permissions_row(Permissions(chat_allow=ALLOW)).state == "ok"


def test_no_chat_frame_yet_is_amber() -> None:
    row = permissions_row(Permissions(chat_allow=None))

    assert (row.state, row.value) == ("warn", "no chat window yet")


def test_a_slow_boot_is_amber_with_advice() -> None:
    row = boot_row(Boot(chat_src_set_ms=4000.0, events_ready_ms=12_500.0))

    assert row.state == "warn"
    assert row.value == "chat after 4.0 s, events after 12.5 s"
    assert "vendor/" in row.fix


@pytest.mark.parametrize(
    ("boot", "value"),
    [
        (Boot(chat_src_set_ms=800.0), "still starting (chat after 0.8 s)"),
        (Boot(), "still starting"),
    ],
)
def test_a_boot_not_finished_is_amber(boot, value) -> None:
    row = boot_row(boot)

    assert (row.state, row.value) == ("warn", value)
    assert row.fix


def test_no_event_yet_is_amber_and_says_how_to_make_one() -> None:
    row = events_row(Activity(), NOW)

    assert (row.state, row.value) == ("warn", "no event yet")
    assert "events setting" in row.fix


def test_only_rejected_messages_is_red() -> None:
    row = events_row(Activity(rejected=3), NOW)

    assert (row.state, row.value) == ("bad", "3 messages rejected, none accepted")
    assert "Rejected messages" in row.fix


def test_events_switched_off_is_ok() -> None:
    row = events_row(Activity(events_on=False), NOW)

    assert (row.state, row.value) == ("ok", "no events asked for (events=none)")


def test_events_before_the_page_listens_is_amber() -> None:
    assert events_row(None, NOW).state == "warn"


def test_records_waiting_to_retry_are_amber_with_the_error_and_the_crm() -> None:
    row = outbox_row(Delivery(outbox_with("retrying", "queued"), CRM + "?token=s3cret"))

    assert row.state == "warn"
    assert row.value == "2 queued, 0 sending, 0 failed, 0 delivered"
    assert "1 records wait to be retried (CRM answered 503: down)" in row.fix
    assert "https://crm.example/hook" in row.fix
    assert "s3cret" not in row.fix


def test_refused_records_are_red_and_point_at_retry() -> None:
    row = outbox_row(Delivery(outbox_with("failed", "delivered", "retrying"), CRM))

    assert row.state == "bad"
    assert row.value == "1 queued, 0 sending, 1 failed, 1 delivered"
    assert "CRM answered 422: email required" in row.fix
    assert "Retry" in row.fix


def test_delivery_off_is_amber_and_names_crm_url() -> None:
    row = outbox_row(Delivery(None, None))

    assert (row.state, row.value) == ("warn", "off: no crmUrl")
    assert "crmUrl" in row.fix


def test_an_outbox_not_started_is_amber() -> None:
    assert outbox_row(Delivery(None, CRM)).state == "warn"


def test_no_row_ever_shows_a_launch_token_a_key_or_a_query_string() -> None:
    seen = everything_fine(
        health=HealthProbe(
            f"https://chat.example/api/health?launch={LAUNCH}",
            status=200,
            body=HEALTHY | {"upstream": {"ok": False, "detail": f"refused key sk-123 {LAUNCH}"}},
        ),
        delivery=Delivery(outbox_with("retrying"), "https://user:pw@crm.example/hook?key=sk-123"),
        secrets=("sk-123",),
    )

    rows = diagnose(seen, parent_origin=None, now=NOW)

    text = "\n".join(f"{row.label} {row.value} {row.fix}" for row in rows)
    for secret in (LAUNCH, "sk-123", "launch=", "key=", "pw@", "user:"):
        assert secret not in text
    assert "[hidden]" in text
    assert "https://chat.example/api/health" in text


def test_scrub_hides_a_token_even_without_being_told_it() -> None:
    row = scrub(Row("x", "bad", "X", f"got {LAUNCH} back", f"see https://a.example/p?t={LAUNCH}"))

    assert row.value == "got [hidden] back"
    assert row.fix == "see https://a.example/p"


def test_public_url_drops_credentials_query_and_fragment() -> None:
    assert public_url("https://u:p@crm.example:8443/hook?k=1#x") == "https://crm.example:8443/hook"


def test_rows_speak_the_page_language() -> None:
    set_language("ru")

    rows = by_check(diagnose(everything_fine(), parent_origin=None, now=NOW))

    assert rows["proxy"].label == "Прокси"
    assert rows["outbox"].value == "в очереди 0, отправляется 0, ошибок 0, доставлено 1"


def test_urls_in_sentences_keep_their_punctuation_and_port() -> None:
    row = scrub(Row("x", "ok", "X", "inside http://127.0.0.1:35129, as parentOrigin says."))

    assert row.value == "inside http://127.0.0.1:35129, as parentOrigin says."
    assert public_url("http://127.0.0.1:x/") == "http://127.0.0.1/"
