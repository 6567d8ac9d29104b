"""Wazzup's documented data, restated once for every test that checks the code against it
(/work/shared/wazzup-api.md). Kept apart from the product's own tables on purpose: the tests
compare the two."""

# wazzup-api.md §1 and §2, verbatim.
DOCS_V3_REQUEST = {
    "user": {"id": "222555", "name": "User Name"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79998887766", "name": "Anthony"}],
    "activeChat": {"chatType": "whatsapp", "chatId": "79998887766"},
    "options": {"useDealsEvents": True, "useMessageEvents": True},
}
DOCS_V2_REQUEST = {
    "user_id": "crm-user-id-123",
    "author_name": "John Smith",
    "scope": "card",
    "chats": [
        {"contact_name": "Anthony Stone", "chat_type": "whatsapp", "chat_id": "37111234567"},
        {"contact_name": "Anthony Stone", "chat_type": "telegram", "username": "my_tg_user"},
    ],
    "active_chat": {"chat_type": "whatsapp", "chat_id": "37111234567"},
    "use_events": {"deals": False, "messages": False},
}

# wazzup-api.md §2: codes by status.
V2_CODES_BY_STATUS = {
    400: ["VALIDATION_FAILED"],
    401: [
        "OAUTH_AUTH_HEADER_MISSING",
        "OAUTH_UNKNOWN_SCHEME",
        "OAUTH_INVALID_PARTNER_TOKEN",
        "OAUTH_TOKEN_INVALID_OR_EXPIRED",
        "OAUTH_TOKEN_UNKNOWN_OR_REVOKED",
    ],
    403: [
        "OAUTH_SCOPE_FORBIDDEN",
        "OAUTH_CRM_INTEGRATION_REQUIRED",
        "OAUTH_BASIC_SCHEME_FORBIDDEN",
        "OAUTH_BEARER_SCHEME_FORBIDDEN",
        "OAUTH_PARTNER_NOT_FOUND",
        "OAUTH_PARTNER_NOT_ACTIVE",
        "OAUTH_CLIENT_NOT_CHILD_OF_PARTNER",
    ],
    500: ["INTERNAL_SERVER_ERROR"],
}
