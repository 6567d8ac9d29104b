"""components/embed.py: every URL the configuration page builds is one the page accepts, and
opens the chat window the form describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.chat import ChatType
from components.config import load_page_config
from components.embed import FORM_FIELDS, EmbedForm, check_embed_url, embed_url, iframe_tag
from components.errors import ConfigError
from components.link import ActiveChat, ChatFilter, LinkOptions, LinkRequest, LinkUser

ROOT = Path(__file__).resolve().parents[2]
SITE = (ROOT / "site.json").read_text()
CRM = json.loads(SITE)["crmUrl"]
PAGE = "https://chat.example.com"


def test_a_card_form_opens_the_card_it_describes():
    form = EmbedForm(
        page_url=PAGE + "/",
        user_id="222555",
        user_name="Anna Lee",
        chats="whatsapp:79998887766:Anthony Stone\n\n telegram:1670185 \n",
        active="telegram:1670185",
        events=("messages",),
        crm_url=CRM,
        theme="dark",
        lang="ru",
    )
    url = embed_url(form)
    assert url.startswith(f"{PAGE}/?user=222555&userName=Anna%20Lee&scope=card&chat=whatsapp:")
    config = load_page_config(SITE, url)
    assert config.crm_url == CRM
    assert config.link_request == LinkRequest(
        user=LinkUser(id="222555", name="Anna Lee"),
        scope="card",
        filter=[
            ChatFilter(chat_type="whatsapp", chat_id="79998887766", name="Anthony Stone"),
            ChatFilter(chat_type="telegram", chat_id="1670185"),
        ],
        active_chat=ActiveChat(chat_type="telegram", chat_id="1670185"),
        options=LinkOptions(use_deals_events=False, use_message_events=True),
    )


def test_a_global_form_leaves_chats_out_and_no_events_is_none():
    url = embed_url(EmbedForm(page_url=PAGE, user_id="7", scope="global", chats="vk:1", events=()))
    assert url == f"{PAGE}/?user=7&scope=global&events=none"
    request = load_page_config(SITE, url).link_request
    assert request.filter is None
    assert request.options == LinkOptions(use_deals_events=False, use_message_events=False)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (EmbedForm(page_url="chat.example.com", user_id="1"), "proxy"),
        (EmbedForm(page_url=PAGE, user_id=" "), "user"),
        (EmbedForm(page_url=PAGE, user_id="1", lang="xx"), "lang"),
    ],
)
def test_a_bad_form_names_its_field(form, field):
    with pytest.raises(ConfigError) as error:
        embed_url(form)
    assert error.value.name == field
    assert field in FORM_FIELDS


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (EmbedForm(page_url=PAGE, user_id="1", chats="fax:123"), "chat"),
        (EmbedForm(page_url=PAGE, user_id="1", chats=""), "chat"),
        (EmbedForm(page_url=PAGE, user_id="1", chats="vk:1", active="vk"), "active"),
        (EmbedForm(page_url=PAGE, user_id="1", chats="vk:1", crm_url="https://evil.test"), "crm"),
    ],
)
def test_the_page_rules_name_the_field_too(form, field):
    with pytest.raises(ConfigError) as error:
        check_embed_url(SITE, embed_url(form))
    assert error.value.name == field
    assert field in FORM_FIELDS


def test_the_iframe_tag_escapes_the_url_and_allows_microphone_and_clipboard():
    tag = iframe_tag(f"{PAGE}/?user=1&scope=global")
    assert 'src="https://chat.example.com/?user=1&amp;scope=global"' in tag
    assert 'allow="microphone; clipboard-write"' in tag


# Text a CRM may put in a name: anything printable on one line, colons and % included.
names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).map(str.strip)
ids = st.text("0123456789abcdefXYZ_-.@+", min_size=1, max_size=20)
# Chat ids valid for every chat type (whatsapp and viber want digits, instagram an account).
chat_ids = st.text("0123456789", min_size=5, max_size=20)
chats = st.tuples(st.sampled_from([t.value for t in ChatType]), chat_ids, names)


@given(
    user_id=ids,
    user_name=names,
    chat_list=st.lists(chats, min_size=1, max_size=5),
    pick_active=st.booleans(),
    events=st.sets(st.sampled_from(["deals", "messages"])),
)
def test_every_built_url_parses_back_to_the_forms_link_request(
    user_id, user_name, chat_list, pick_active, events
):
    lines = [":".join(filter(None, chat)) for chat in chat_list]
    active = chat_list[0][:2] if pick_active else None
    form = EmbedForm(
        page_url=PAGE,
        user_id=user_id,
        user_name=user_name,
        chats="\n".join(lines),
        active=":".join(active) if active else "",
        events=tuple(events),
    )
    request = load_page_config(SITE, embed_url(form)).link_request
    assert request == LinkRequest(
        user=LinkUser(id=user_id, name=user_name or None),
        scope="card",
        filter=[
            ChatFilter(chat_type=kind, chat_id=chat_id, name=name or None)
            for kind, chat_id, name in chat_list
        ],
        active_chat=ActiveChat(chat_type=active[0], chat_id=active[1]) if active else None,
        options=LinkOptions(
            use_deals_events="deals" in events, use_message_events="messages" in events
        ),
    )
