"""The page's words in English, Russian, Spanish and Portuguese. Plain Python, no pydantic, so
the page can use it before anything heavy loads.

    set_language(choose_language(url_language(page_url), "pt-BR"))  # → "pt"
    t("status.ready")                                  # → "Pronto"
    t("record.retrying", attempt=2)                    # → "tentando de novo (tentativa 2)"

The language is the URL parameter `lang`, else site.json's `lang`, else the browser's, else
English. A key missing from a language falls back to English; a unit test keeps the four
catalogs in step (same keys, same {placeholders}).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

LANGUAGES = ("en", "ru", "es", "pt")
DEFAULT_LANGUAGE = "en"

EN = {
    "page.title": "Wazzup chat window",
    "page.brand": "Wazzup chat",
    "status.starting": "Starting Python…",
    "status.reading": "Reading settings…",
    "status.linking": "Getting the chat link…",
    "status.ready": "Ready",
    "chat.region": "Chat window",
    "chat.loading": "Loading the chat window…",
    "chat.none": "No chat window: see the message above.",
    "chat.frame_title": "Wazzup chat window",
    "log.region": "Event log",
    "log.events": "Events",
    "log.records": "CRM records",
    "log.rejected": "Rejected messages",
    "log.notes": "Notes",
    "banner.unsigned_title": "Unsigned mode: local demo only.",
    "banner.unsigned_text": "This proxy gives a chat link to anyone who asks, without a launch "
    "signed by the CRM. Never expose it; run make serve with LAUNCH_KEYS instead.",
    "event.WZ_CREATE_ENTITY": "New deal requested",
    "event.WZ_OPEN_ENTITY": "Deal opened",
    "event.WZ_OUTPUT_MESSAGE": "Message sent",
    "row.chat": "Chat",
    "row.channel": "Channel",
    "row.user": "User",
    "row.deal": "Deal",
    "row.responsible": "Responsible",
    "row.message": "Message",
    "row.contact": "Contact",
    "row.username": "Username",
    "row.phone": "Phone",
    "deal.open": "open",
    "deal.closed": "closed",
    "deal.summary": "{name} (id {id}, {state})",
    "kind.deal_request": "deal request",
    "kind.deal_opened": "deal opened",
    "kind.contact": "contact",
    "record.queued": "queued",
    "record.sending": "sending…",
    "record.delivered": "delivered",
    "record.failed": "failed",
    "record.retrying": "retrying (attempt {attempt})",
    "record.open_in_crm": "open in CRM",
    "record.retry": "Retry",
    "record.discard": "Discard",
    "record.retry_label": "Retry sending the {kind} record",
    "record.discard_label": "Discard the {kind} record",
    "note.opened": "Opened {url}",
    "note.link_refreshed": "The chat link had expired: a fresh one was opened, on the same chat.",
    "note.link_refresh_later": "The chat link expired and the proxy is unreachable; trying again.",
    "announce.event": "New event: {title}",
    "announce.failed": "Delivery failed: {kind}: {reason}",
    "problem.unexpected": "Unexpected error",
    "problem.chat_kept": (
        "The chat window still works, but its events are not recorded and "
        "nothing reaches the CRM until the page loads again."
    ),
    "problem.invalid_setting": "Invalid setting '{name}'",
    "problem.invalid_site": "Invalid setting in site.json",
    "problem.settings_unreachable": "Settings unreachable",
    "problem.settings_unreachable_detail": "site.json could not be loaded; check the page's host.",
    "link.unreachable": "The proxy is unreachable",
    "link.unreachable_detail": "No answer from the proxy at {where}. Check that the proxy is "
    "running and that proxyUrl in site.json points to it.",
    "link.own_server": "this page's own server",
    "link.unexpected": "The proxy answered something unexpected",
    "link.unexpected_detail": "The answer held no chat link; check that proxyUrl points at this "
    "project's proxy.",
    "link.http": "The proxy answered HTTP {status}",
    "link.http_detail": "Check that proxyUrl in site.json points at this project's proxy.",
    "problem.settings_http_detail": "site.json could not be loaded (HTTP {status}); check the "
    "page's host.",
    "config.unknown_param": "unknown URL parameter; known ones are {known}",
    "config.repeated": "given more than once; give it once",
    "config.user_required": "the CRM user id is required, like ?user=222555",
    "config.scope": "must be 'global' or 'card', got {got}",
    "config.card_needs_chat": "scope=card needs at least one chat, like chat=whatsapp:79998887766",
    "config.set_by_launch": "is set by the signed launch; remove it from the URL",
    "config.site_not_json": "is not valid JSON ({detail})",
    "config.chat_type": "unknown chat type {got}; use one of {allowed}",
    "config.chat_format": "needs chatType:chatId, like whatsapp:79998887766, got {got}",
    "config.events": "unknown switch {got}; use deals, messages, both, or none",
    "config.crm_not_allowed": "{got} is not in allowedCrmUrls of site.json; add it there first",
    "config.crm_scheme": "must be an http(s) URL",
    "config.lang": "must be one of {allowed}, got {got}",
    "config.theme": "must be one of {allowed}, got {got}",
    # The diagnostics panel and the exports (components/diagnostics.py, diagnostics_view.py).
    "config.mask": "must be 'on' or 'off', got {got}",
    "diag.button": "Diagnostics",
    "diag.title": "Diagnostics",
    "diag.refresh": "Check again",
    "diag.close": "Close",
    "diag.checking": "checking…",
    "diag.state.ok": "OK",
    "diag.state.warn": "Check",
    "diag.state.bad": "Problem",
    "diag.fix": "Fix:",
    "diag.not_set": "not set",
    "diag.proxy": "Proxy",
    "diag.proxy.ok": "answers at {url} in {ms} ms",
    "diag.proxy.down": "no answer from {url}: {reason}",
    "diag.proxy.down_fix": "Check that the proxy is running and that proxyUrl in site.json points "
    "to it. A proxy on another origin must list this page's origin in ALLOWED_ORIGINS.",
    "diag.proxy.http": "{url} answered HTTP {status}, not the proxy's status",
    "diag.proxy.http_fix": "Something other than the proxy answers at proxyUrl, or the proxy "
    "failed: check proxyUrl in site.json and the proxy's log.",
    "diag.upstream": "Wazzup (through the proxy)",
    "diag.upstream.ok": "reachable (API {api})",
    "diag.upstream.bad": "the proxy cannot use Wazzup: {detail}",
    "diag.upstream.bad_fix": "On the proxy, check WAZZUP_API_KEY (WAZZUP_PARTNER_TOKEN for v2) "
    "and WAZZUP_BASE_URL, and that its server can reach Wazzup.",
    "diag.upstream.unknown": "unknown: the proxy did not answer",
    "diag.upstream.unknown_fix": "Fix the proxy first (the row above).",
    "diag.framing": "Embedding",
    "diag.framing.top": "opened on its own, not inside a CRM page",
    "diag.framing.ok": "inside {origin}, as parentOrigin says",
    "diag.framing.unset": "inside {origin}, but site.json has no parentOrigin",
    "diag.framing.mismatch": "inside {origin}, but parentOrigin is {expected}",
    "diag.framing.set_fix": 'The CRM page gets no events from this page: set "parentOrigin": '
    '"{origin}" in site.json.',
    "diag.framing.unknown": "inside a page whose origin the browser does not tell",
    "diag.framing.unknown_fix": "Make sure parentOrigin in site.json ({expected}) is the origin of "
    "the CRM page that embeds this one.",
    "diag.permissions": "Microphone and clipboard",
    "diag.permissions.ok": "allowed",
    "diag.permissions.host_missing": "the CRM page does not pass on: {features}",
    "diag.permissions.host_missing_fix": "Voice messages and copying need them: add "
    'allow="microphone; clipboard-write" to the <iframe> tag in the CRM page that embeds this '
    "page.",
    "diag.permissions.chat_missing": "the chat window's frame lacks: {features}",
    "diag.permissions.chat_missing_fix": "Reload the page; if it stays, something on the page "
    "changed the chat frame's allow attribute.",
    "diag.no_chat": "no chat window yet",
    "diag.no_chat_fix": "Wait until the chat window shows; if it does not, see the message at the "
    "top of the page.",
    "diag.boot": "Start-up time",
    "diag.boot.ok": "chat after {chat} s, events after {events} s",
    "diag.boot.slow_fix": "A slow start: the browser downloaded and compiled the Python runtime. "
    "Let the proxy serve vendor/ (it caches and compresses it) and check this computer's network "
    "and CPU; a reload is usually much faster.",
    "diag.boot.starting": "still starting (chat after {chat} s)",
    "diag.boot.not_yet": "still starting",
    "diag.boot.starting_fix": "Wait a moment and check again; if it stays, see the message at the "
    "top of the page.",
    "diag.events": "Last event",
    "diag.events.last": "{type} at {time} ({ago} s ago)",
    "diag.events.none": "no event yet",
    "diag.events.none_fix": "Send a message or press + under Deals in the chat window. If "
    "nothing shows up, check the events setting (deals, messages).",
    "diag.events.off": "no events asked for (events=none)",
    "diag.events.rejected": "{count} messages rejected, none accepted",
    "diag.events.rejected_fix": "See Rejected messages for why: only the chat window this page "
    "embedded may send events.",
    "diag.events.not_started": "the page does not listen for events yet",
    "diag.outbox": "CRM outbox",
    "diag.outbox.counts": "{queued} queued, {sending} sending, {failed} failed, "
    "{delivered} delivered",
    "diag.outbox.off": "off: no crmUrl",
    "diag.outbox.off_fix": "To send a record to the CRM for every event, set crmUrl in site.json.",
    "diag.outbox.not_started": "not started yet",
    "diag.outbox.failed_fix": "The CRM refused {count} records ({error}). Fix the CRM's side, "
    "then press Retry on them under CRM records.",
    "diag.outbox.retrying_fix": "{count} records wait to be retried ({error}). Check that the CRM "
    "at {url} is up and accepts requests from this page; the records are kept and sent when it "
    "answers.",
    "export.title": "Export",
    "export.events_json": "Events, JSON",
    "export.events_csv": "Events, CSV",
    "export.deliveries_json": "CRM records, JSON",
    "export.deliveries_csv": "CRM records, CSV",
    "embed.title": "Wazzup chat window: embed settings",
    "embed.brand": "Wazzup chat: embed settings",
    "embed.proxy": "Proxy URL (serves the chat window page)",
    "embed.crm": "CRM URL (optional; must be in site.json allowedCrmUrls)",
    "embed.user": "User id",
    "embed.user_name": "User name",
    "embed.scope": "Scope",
    "embed.scope_card": "card: the chats of one client",
    "embed.scope_global": "global: every chat of the user",
    "embed.chats": "Chats, one per line: chatType:chatId[:name]",
    "embed.active": "Active chat (optional): chatType:chatId",
    "embed.events": "Events",
    "embed.events_deals": 'deals ("+" and deal clicks)',
    "embed.events_messages": "messages",
    "embed.theme": "Theme (default: follows the host's light or dark mode)",
    "embed.lang": "Language (default: site.json's, else the browser's)",
    "embed.default": "default",
    "embed.result": "Result",
    "embed.embed_url": "Embed URL",
    "embed.copy_url": "Copy URL",
    "embed.iframe_tag": "iframe tag",
    "embed.copy_tag": "Copy tag",
    "embed.test_title": "Test the proxy",
    "embed.test": "Test",
    "embed.no_answer": "no answer from {proxy} ({error}); check the URL and ALLOWED_ORIGINS",
    "embed.health_ok": "proxy OK, Wazzup OK",
    "embed.health_upstream": "proxy OK, Wazzup: {detail}",
    "embed.link_minted": "a chat link was minted ({url}…)",
    "note.early_dropped": "{count} window messages came before the page was ready: dropped.",
}

RU = {
    "page.title": "Окно чатов Wazzup",
    "page.brand": "Чаты Wazzup",
    "status.starting": "Запуск Python…",
    "status.reading": "Чтение настроек…",
    "status.linking": "Получение ссылки на чат…",
    "status.ready": "Готово",
    "chat.region": "Окно чатов",
    "chat.loading": "Загрузка окна чатов…",
    "chat.none": "Окна чатов нет: см. сообщение выше.",
    "chat.frame_title": "Окно чатов Wazzup",
    "log.region": "Журнал событий",
    "log.events": "События",
    "log.records": "Записи в CRM",
    "log.rejected": "Отклонённые сообщения",
    "log.notes": "Заметки",
    "banner.unsigned_title": "Режим без подписи: только для локального демо.",
    "banner.unsigned_text": "Этот прокси выдаёт ссылку на чаты любому, кто попросит, без запуска, "
    "подписанного CRM. Никогда не открывайте его наружу; запускайте make serve с LAUNCH_KEYS.",
    "event.WZ_CREATE_ENTITY": "Запрошена новая сделка",
    "event.WZ_OPEN_ENTITY": "Открыта сделка",
    "event.WZ_OUTPUT_MESSAGE": "Отправлено сообщение",
    "row.chat": "Чат",
    "row.channel": "Канал",
    "row.user": "Пользователь",
    "row.deal": "Сделка",
    "row.responsible": "Ответственный",
    "row.message": "Сообщение",
    "row.contact": "Контакт",
    "row.username": "Имя пользователя",
    "row.phone": "Телефон",
    "deal.open": "открыта",
    "deal.closed": "закрыта",
    "deal.summary": "{name} (id {id}, {state})",
    "kind.deal_request": "запрос сделки",
    "kind.deal_opened": "открытие сделки",
    "kind.contact": "контакт",
    "record.queued": "в очереди",
    "record.sending": "отправка…",
    "record.delivered": "доставлено",
    "record.failed": "ошибка",
    "record.retrying": "повтор (попытка {attempt})",
    "record.open_in_crm": "открыть в CRM",
    "record.retry": "Повторить",
    "record.discard": "Удалить",
    "record.retry_label": "Повторить отправку записи «{kind}»",
    "record.discard_label": "Удалить запись «{kind}»",
    "note.opened": "Открыто: {url}",
    "note.link_refreshed": "Ссылка на чат устарела: открыта новая, в том же чате.",
    "note.link_refresh_later": "Ссылка на чат устарела, а прокси недоступен; пробуем снова.",
    "announce.event": "Новое событие: {title}",
    "announce.failed": "Не удалось доставить: {kind}: {reason}",
    "problem.unexpected": "Непредвиденная ошибка",
    "problem.chat_kept": (
        "Окно чатов работает, но его события не записываются и ничего не "
        "попадёт в CRM, пока страница не загрузится заново."
    ),
    "problem.invalid_setting": "Неверная настройка '{name}'",
    "problem.invalid_site": "Неверная настройка в site.json",
    "problem.settings_unreachable": "Настройки недоступны",
    "problem.settings_unreachable_detail": "Не удалось загрузить site.json; проверьте сервер "
    "страницы.",
    "link.unreachable": "Прокси недоступен",
    "link.unreachable_detail": "Нет ответа от прокси по адресу {where}. Проверьте, что прокси "
    "запущен и что proxyUrl в site.json указывает на него.",
    "link.own_server": "сервер этой страницы",
    "link.unexpected": "Прокси ответил что-то неожиданное",
    "link.unexpected_detail": "В ответе нет ссылки на чат; проверьте, что proxyUrl указывает на "
    "прокси этого проекта.",
    "link.http": "Прокси ответил HTTP {status}",
    "link.http_detail": "Проверьте, что proxyUrl в site.json указывает на прокси этого проекта.",
    "problem.settings_http_detail": "Не удалось загрузить site.json (HTTP {status}); проверьте "
    "сервер страницы.",
    "config.unknown_param": "неизвестный параметр URL; известные: {known}",
    "config.repeated": "указан несколько раз; укажите один раз",
    "config.user_required": "нужен id пользователя CRM, например ?user=222555",
    "config.scope": "должно быть 'global' или 'card', а не {got}",
    "config.card_needs_chat": "для scope=card нужен хотя бы один чат, например "
    "chat=whatsapp:79998887766",
    "config.set_by_launch": "задаётся подписанным запуском; уберите его из URL",
    "config.site_not_json": "не является корректным JSON ({detail})",
    "config.chat_type": "неизвестный тип чата {got}; используйте один из: {allowed}",
    "config.chat_format": "нужно chatType:chatId, например whatsapp:79998887766, а не {got}",
    "config.events": "неизвестный переключатель {got}; используйте deals, messages, оба или none",
    "config.crm_not_allowed": "{got} нет в allowedCrmUrls в site.json; сначала добавьте его туда",
    "config.crm_scheme": "должен быть URL http(s)",
    "config.lang": "должно быть одно из: {allowed}, а не {got}",
    "config.theme": "должно быть одно из: {allowed}, а не {got}",
    "config.mask": "должно быть 'on' или 'off', а не {got}",
    "diag.button": "Диагностика",
    "diag.title": "Диагностика",
    "diag.refresh": "Проверить снова",
    "diag.close": "Закрыть",
    "diag.checking": "проверяем…",
    "diag.state.ok": "OK",
    "diag.state.warn": "Проверьте",
    "diag.state.bad": "Ошибка",
    "diag.fix": "Что сделать:",
    "diag.not_set": "не задан",
    "diag.proxy": "Прокси",
    "diag.proxy.ok": "отвечает по адресу {url} за {ms} мс",
    "diag.proxy.down": "нет ответа от {url}: {reason}",
    "diag.proxy.down_fix": "Проверьте, что прокси запущен и что proxyUrl в site.json указывает на "
    "него. Прокси на другом origin должен перечислять origin этой страницы в ALLOWED_ORIGINS.",
    "diag.proxy.http": "{url} ответил HTTP {status}, а не статусом прокси",
    "diag.proxy.http_fix": "По адресу proxyUrl отвечает не прокси, или прокси сломался: проверьте "
    "proxyUrl в site.json и журнал прокси.",
    "diag.upstream": "Wazzup (через прокси)",
    "diag.upstream.ok": "доступен (API {api})",
    "diag.upstream.bad": "прокси не может работать с Wazzup: {detail}",
    "diag.upstream.bad_fix": "На прокси проверьте WAZZUP_API_KEY (WAZZUP_PARTNER_TOKEN для v2) и "
    "WAZZUP_BASE_URL, а также что его сервер может достучаться до Wazzup.",
    "diag.upstream.unknown": "неизвестно: прокси не ответил",
    "diag.upstream.unknown_fix": "Сначала почините прокси (строка выше).",
    "diag.framing": "Встраивание",
    "diag.framing.top": "открыта отдельно, не внутри страницы CRM",
    "diag.framing.ok": "внутри {origin}, как и указано в parentOrigin",
    "diag.framing.unset": "внутри {origin}, но в site.json нет parentOrigin",
    "diag.framing.mismatch": "внутри {origin}, но parentOrigin равен {expected}",
    "diag.framing.set_fix": "Страница CRM не получает события от этой страницы: укажите "
    '"parentOrigin": "{origin}" в site.json.',
    "diag.framing.unknown": "внутри страницы, origin которой браузер не сообщает",
    "diag.framing.unknown_fix": "Убедитесь, что parentOrigin в site.json ({expected}) совпадает с "
    "origin страницы CRM, в которую встроена эта.",
    "diag.permissions": "Микрофон и буфер обмена",
    "diag.permissions.ok": "разрешены",
    "diag.permissions.host_missing": "страница CRM не передаёт: {features}",
    "diag.permissions.host_missing_fix": "Они нужны для голосовых сообщений и копирования: "
    'добавьте allow="microphone; clipboard-write" в тег <iframe> на странице CRM, которая '
    "встраивает эту страницу.",
    "diag.permissions.chat_missing": "у фрейма окна чата нет: {features}",
    "diag.permissions.chat_missing_fix": "Перезагрузите страницу; если не поможет, что-то на "
    "странице изменило атрибут allow фрейма чата.",
    "diag.no_chat": "окна чата ещё нет",
    "diag.no_chat_fix": "Дождитесь окна чата; если оно не появится, см. сообщение вверху страницы.",
    "diag.boot": "Время запуска",
    "diag.boot.ok": "чат через {chat} с, события через {events} с",
    "diag.boot.slow_fix": "Медленный запуск: браузер скачивал и компилировал среду Python. "
    "Отдавайте vendor/ через прокси (он кэширует и сжимает) и проверьте сеть и процессор этого "
    "компьютера; повторная загрузка обычно намного быстрее.",
    "diag.boot.starting": "ещё запускается (чат через {chat} с)",
    "diag.boot.not_yet": "ещё запускается",
    "diag.boot.starting_fix": "Подождите и проверьте снова; если не изменится, см. сообщение "
    "вверху страницы.",
    "diag.events": "Последнее событие",
    "diag.events.last": "{type} в {time} ({ago} с назад)",
    "diag.events.none": "событий ещё не было",
    "diag.events.none_fix": "Отправьте сообщение или нажмите + в разделе Сделки окна чата. Если "
    "ничего не появится, проверьте настройку events (deals, messages).",
    "diag.events.off": "события не запрошены (events=none)",
    "diag.events.rejected": "отклонено сообщений: {count}, принятых нет",
    "diag.events.rejected_fix": "Причины см. в разделе Отклонённые сообщения: события может "
    "присылать только окно чата, встроенное этой страницей.",
    "diag.events.not_started": "страница ещё не слушает события",
    "diag.outbox": "Очередь в CRM",
    "diag.outbox.counts": "в очереди {queued}, отправляется {sending}, ошибок {failed}, "
    "доставлено {delivered}",
    "diag.outbox.off": "выключена: нет crmUrl",
    "diag.outbox.off_fix": "Чтобы отправлять запись в CRM на каждое событие, укажите crmUrl в "
    "site.json.",
    "diag.outbox.not_started": "ещё не запущена",
    "diag.outbox.failed_fix": "CRM отклонила записей: {count} ({error}). Исправьте на стороне CRM "
    "и нажмите Повторить у этих записей в разделе Записи в CRM.",
    "diag.outbox.retrying_fix": "Ждут повторной отправки: {count} ({error}). Проверьте, что CRM "
    "по адресу {url} работает и принимает запросы с этой страницы; записи сохранены и уйдут, "
    "когда она ответит.",
    "export.title": "Выгрузка",
    "export.events_json": "События, JSON",
    "export.events_csv": "События, CSV",
    "export.deliveries_json": "Записи в CRM, JSON",
    "export.deliveries_csv": "Записи в CRM, CSV",
    "embed.title": "Окно чатов Wazzup: настройки встраивания",
    "embed.brand": "Чаты Wazzup: встраивание",
    "embed.proxy": "URL прокси (отдаёт страницу окна чатов)",
    "embed.crm": "URL CRM (необязательно; должен быть в allowedCrmUrls файла site.json)",
    "embed.user": "ID пользователя",
    "embed.user_name": "Имя пользователя",
    "embed.scope": "Область",
    "embed.scope_card": "card: чаты одного клиента",
    "embed.scope_global": "global: все чаты пользователя",
    "embed.chats": "Чаты, по одному в строке: chatType:chatId[:имя]",
    "embed.active": "Активный чат (необязательно): chatType:chatId",
    "embed.events": "События",
    "embed.events_deals": "сделки («+» и клики по сделкам)",
    "embed.events_messages": "сообщения",
    "embed.theme": "Тема (по умолчанию — как светлый или тёмный режим хоста)",
    "embed.lang": "Язык (по умолчанию — из site.json, иначе браузера)",
    "embed.default": "по умолчанию",
    "embed.result": "Результат",
    "embed.embed_url": "URL для встраивания",
    "embed.copy_url": "Копировать URL",
    "embed.iframe_tag": "Тег iframe",
    "embed.copy_tag": "Копировать тег",
    "embed.test_title": "Проверить прокси",
    "embed.test": "Проверить",
    "embed.no_answer": "нет ответа от {proxy} ({error}); проверьте URL и ALLOWED_ORIGINS",
    "embed.health_ok": "прокси работает, Wazzup работает",
    "embed.health_upstream": "прокси работает, Wazzup: {detail}",
    "embed.link_minted": "ссылка на чат получена ({url}…)",
    "note.early_dropped": "{count} сообщений окна пришли до готовности страницы и отброшены.",
}

ES = {
    "page.title": "Ventana de chat de Wazzup",
    "page.brand": "Chat de Wazzup",
    "status.starting": "Iniciando Python…",
    "status.reading": "Leyendo la configuración…",
    "status.linking": "Obteniendo el enlace del chat…",
    "status.ready": "Listo",
    "chat.region": "Ventana de chat",
    "chat.loading": "Cargando la ventana de chat…",
    "chat.none": "No hay ventana de chat: vea el mensaje de arriba.",
    "chat.frame_title": "Ventana de chat de Wazzup",
    "log.region": "Registro de eventos",
    "log.events": "Eventos",
    "log.records": "Registros del CRM",
    "log.rejected": "Mensajes rechazados",
    "log.notes": "Notas",
    "banner.unsigned_title": "Modo sin firma: solo para la demo local.",
    "banner.unsigned_text": "Este proxy da un enlace de chat a cualquiera que lo pida, sin un "
    "inicio firmado por el CRM. No lo exponga nunca; ejecute make serve con LAUNCH_KEYS.",
    "event.WZ_CREATE_ENTITY": "Nueva oferta solicitada",
    "event.WZ_OPEN_ENTITY": "Oferta abierta",
    "event.WZ_OUTPUT_MESSAGE": "Mensaje enviado",
    "row.chat": "Chat",
    "row.channel": "Canal",
    "row.user": "Usuario",
    "row.deal": "Oferta",
    "row.responsible": "Responsable",
    "row.message": "Mensaje",
    "row.contact": "Contacto",
    "row.username": "Nombre de usuario",
    "row.phone": "Teléfono",
    "deal.open": "abierta",
    "deal.closed": "cerrada",
    "deal.summary": "{name} (id {id}, {state})",
    "kind.deal_request": "solicitud de oferta",
    "kind.deal_opened": "oferta abierta",
    "kind.contact": "contacto",
    "record.queued": "en cola",
    "record.sending": "enviando…",
    "record.delivered": "entregado",
    "record.failed": "fallido",
    "record.retrying": "reintentando (intento {attempt})",
    "record.open_in_crm": "abrir en el CRM",
    "record.retry": "Reintentar",
    "record.discard": "Descartar",
    "record.retry_label": "Reintentar el envío del registro «{kind}»",
    "record.discard_label": "Descartar el registro «{kind}»",
    "note.opened": "Abierto {url}",
    "note.link_refreshed": "El enlace del chat caducó: se abrió uno nuevo, en el mismo chat.",
    "note.link_refresh_later": "El enlace del chat caducó y el proxy no responde; se reintentará.",
    "announce.event": "Nuevo evento: {title}",
    "announce.failed": "Entrega fallida: {kind}: {reason}",
    "problem.unexpected": "Error inesperado",
    "problem.chat_kept": (
        "La ventana de chat sigue funcionando, pero sus eventos no se registran "
        "y nada llega al CRM hasta que la página se vuelva a cargar."
    ),
    "problem.invalid_setting": "Configuración no válida '{name}'",
    "problem.invalid_site": "Configuración no válida en site.json",
    "problem.settings_unreachable": "Configuración inaccesible",
    "problem.settings_unreachable_detail": "No se pudo cargar site.json; revise el servidor de "
    "la página.",
    "link.unreachable": "El proxy no responde",
    "link.unreachable_detail": "Sin respuesta del proxy en {where}. Compruebe que el proxy está "
    "en marcha y que proxyUrl en site.json apunta a él.",
    "link.own_server": "el propio servidor de esta página",
    "link.unexpected": "El proxy respondió algo inesperado",
    "link.unexpected_detail": "La respuesta no contenía un enlace de chat; compruebe que proxyUrl "
    "apunta al proxy de este proyecto.",
    "link.http": "El proxy respondió HTTP {status}",
    "link.http_detail": "Compruebe que proxyUrl en site.json apunta al proxy de este proyecto.",
    "problem.settings_http_detail": "No se pudo cargar site.json (HTTP {status}); revise el "
    "servidor de la página.",
    "config.unknown_param": "parámetro de URL desconocido; los conocidos son {known}",
    "config.repeated": "aparece más de una vez; indíquelo una sola vez",
    "config.user_required": "se necesita el id de usuario del CRM, como ?user=222555",
    "config.scope": "debe ser 'global' o 'card', no {got}",
    "config.card_needs_chat": "scope=card necesita al menos un chat, como "
    "chat=whatsapp:79998887766",
    "config.set_by_launch": "lo fija el inicio firmado; quítelo de la URL",
    "config.site_not_json": "no es JSON válido ({detail})",
    "config.chat_type": "tipo de chat desconocido {got}; use uno de {allowed}",
    "config.chat_format": "necesita chatType:chatId, como whatsapp:79998887766, no {got}",
    "config.events": "opción desconocida {got}; use deals, messages, ambas o none",
    "config.crm_not_allowed": "{got} no está en allowedCrmUrls de site.json; añádalo allí primero",
    "config.crm_scheme": "debe ser una URL http(s)",
    "config.lang": "debe ser uno de {allowed}, no {got}",
    "config.theme": "debe ser uno de {allowed}, no {got}",
    "config.mask": "debe ser 'on' u 'off', no {got}",
    "diag.button": "Diagnóstico",
    "diag.title": "Diagnóstico",
    "diag.refresh": "Comprobar de nuevo",
    "diag.close": "Cerrar",
    "diag.checking": "comprobando…",
    "diag.state.ok": "OK",
    "diag.state.warn": "Revisar",
    "diag.state.bad": "Problema",
    "diag.fix": "Solución:",
    "diag.not_set": "sin definir",
    "diag.proxy": "Proxy",
    "diag.proxy.ok": "responde en {url} en {ms} ms",
    "diag.proxy.down": "sin respuesta de {url}: {reason}",
    "diag.proxy.down_fix": "Compruebe que el proxy está en marcha y que proxyUrl en site.json "
    "apunta a él. Un proxy en otro origen debe incluir el origen de esta página en "
    "ALLOWED_ORIGINS.",
    "diag.proxy.http": "{url} respondió HTTP {status}, no el estado del proxy",
    "diag.proxy.http_fix": "En proxyUrl responde algo que no es el proxy, o el proxy falló: "
    "revise proxyUrl en site.json y el registro del proxy.",
    "diag.upstream": "Wazzup (a través del proxy)",
    "diag.upstream.ok": "accesible (API {api})",
    "diag.upstream.bad": "el proxy no puede usar Wazzup: {detail}",
    "diag.upstream.bad_fix": "En el proxy, revise WAZZUP_API_KEY (WAZZUP_PARTNER_TOKEN para v2) "
    "y WAZZUP_BASE_URL, y que su servidor llegue a Wazzup.",
    "diag.upstream.unknown": "desconocido: el proxy no respondió",
    "diag.upstream.unknown_fix": "Arregle primero el proxy (la fila de arriba).",
    "diag.framing": "Inserción",
    "diag.framing.top": "abierta sola, no dentro de una página del CRM",
    "diag.framing.ok": "dentro de {origin}, como dice parentOrigin",
    "diag.framing.unset": "dentro de {origin}, pero site.json no tiene parentOrigin",
    "diag.framing.mismatch": "dentro de {origin}, pero parentOrigin es {expected}",
    "diag.framing.set_fix": "La página del CRM no recibe eventos de esta página: ponga "
    '"parentOrigin": "{origin}" en site.json.',
    "diag.framing.unknown": "dentro de una página cuyo origen el navegador no indica",
    "diag.framing.unknown_fix": "Asegúrese de que parentOrigin en site.json ({expected}) es el "
    "origen de la página del CRM que inserta esta.",
    "diag.permissions": "Micrófono y portapapeles",
    "diag.permissions.ok": "permitidos",
    "diag.permissions.host_missing": "la página del CRM no concede: {features}",
    "diag.permissions.host_missing_fix": "Los mensajes de voz y la copia los necesitan: añada "
    'allow="microphone; clipboard-write" a la etiqueta <iframe> de la página del CRM que '
    "inserta esta página.",
    "diag.permissions.chat_missing": "al marco de la ventana de chat le falta: {features}",
    "diag.permissions.chat_missing_fix": "Recargue la página; si sigue igual, algo en la página "
    "cambió el atributo allow del marco del chat.",
    "diag.no_chat": "aún no hay ventana de chat",
    "diag.no_chat_fix": "Espere a que aparezca la ventana de chat; si no aparece, vea el mensaje "
    "en la parte superior de la página.",
    "diag.boot": "Tiempo de arranque",
    "diag.boot.ok": "chat a los {chat} s, eventos a los {events} s",
    "diag.boot.slow_fix": "Arranque lento: el navegador descargó y compiló el entorno de Python. "
    "Sirva vendor/ desde el proxy (lo guarda en caché y lo comprime) y revise la red y la CPU de "
    "este equipo; una recarga suele ser mucho más rápida.",
    "diag.boot.starting": "aún arrancando (chat a los {chat} s)",
    "diag.boot.not_yet": "aún arrancando",
    "diag.boot.starting_fix": "Espere un momento y compruebe de nuevo; si sigue igual, vea el "
    "mensaje en la parte superior de la página.",
    "diag.events": "Último evento",
    "diag.events.last": "{type} a las {time} (hace {ago} s)",
    "diag.events.none": "aún no hay eventos",
    "diag.events.none_fix": "Envíe un mensaje o pulse + en Negocios en la ventana de chat. Si no "
    "aparece nada, revise el ajuste events (deals, messages).",
    "diag.events.off": "no se pidieron eventos (events=none)",
    "diag.events.rejected": "{count} mensajes rechazados, ninguno aceptado",
    "diag.events.rejected_fix": "Vea el motivo en Mensajes rechazados: solo la ventana de chat "
    "que insertó esta página puede enviar eventos.",
    "diag.events.not_started": "la página aún no escucha eventos",
    "diag.outbox": "Cola hacia el CRM",
    "diag.outbox.counts": "{queued} en cola, {sending} enviándose, {failed} fallidos, "
    "{delivered} entregados",
    "diag.outbox.off": "desactivada: no hay crmUrl",
    "diag.outbox.off_fix": "Para enviar un registro al CRM por cada evento, ponga crmUrl en "
    "site.json.",
    "diag.outbox.not_started": "aún no iniciada",
    "diag.outbox.failed_fix": "El CRM rechazó {count} registros ({error}). Corríjalo en el CRM y "
    "pulse Reintentar en ellos en Registros del CRM.",
    "diag.outbox.retrying_fix": "{count} registros esperan un reintento ({error}). Compruebe que "
    "el CRM en {url} funciona y acepta peticiones de esta página; los registros se guardan y se "
    "envían cuando responda.",
    "export.title": "Exportar",
    "export.events_json": "Eventos, JSON",
    "export.events_csv": "Eventos, CSV",
    "export.deliveries_json": "Registros del CRM, JSON",
    "export.deliveries_csv": "Registros del CRM, CSV",
    "embed.title": "Ventana de chats de Wazzup: ajustes de inserción",
    "embed.brand": "Chat de Wazzup: inserción",
    "embed.proxy": "URL del proxy (sirve la página de la ventana de chats)",
    "embed.crm": "URL del CRM (opcional; debe estar en allowedCrmUrls de site.json)",
    "embed.user": "ID de usuario",
    "embed.user_name": "Nombre de usuario",
    "embed.scope": "Alcance",
    "embed.scope_card": "card: los chats de un cliente",
    "embed.scope_global": "global: todos los chats del usuario",
    "embed.chats": "Chats, uno por línea: chatType:chatId[:nombre]",
    "embed.active": "Chat activo (opcional): chatType:chatId",
    "embed.events": "Eventos",
    "embed.events_deals": "oportunidades («+» y clics en oportunidades)",
    "embed.events_messages": "mensajes",
    "embed.theme": "Tema (por defecto: sigue el modo claro u oscuro del anfitrión)",
    "embed.lang": "Idioma (por defecto: el de site.json, si no el del navegador)",
    "embed.default": "predeterminado",
    "embed.result": "Resultado",
    "embed.embed_url": "URL para insertar",
    "embed.copy_url": "Copiar URL",
    "embed.iframe_tag": "Etiqueta iframe",
    "embed.copy_tag": "Copiar etiqueta",
    "embed.test_title": "Probar el proxy",
    "embed.test": "Probar",
    "embed.no_answer": "sin respuesta de {proxy} ({error}); revise la URL y ALLOWED_ORIGINS",
    "embed.health_ok": "proxy OK, Wazzup OK",
    "embed.health_upstream": "proxy OK, Wazzup: {detail}",
    "embed.link_minted": "se obtuvo un enlace de chat ({url}…)",
    "note.early_dropped": "{count} mensajes llegaron antes de estar lista la página: descartados.",
}

PT = {
    "page.title": "Janela de chat do Wazzup",
    "page.brand": "Chat do Wazzup",
    "status.starting": "Iniciando o Python…",
    "status.reading": "Lendo as configurações…",
    "status.linking": "Obtendo o link do chat…",
    "status.ready": "Pronto",
    "chat.region": "Janela de chat",
    "chat.loading": "Carregando a janela de chat…",
    "chat.none": "Sem janela de chat: veja a mensagem acima.",
    "chat.frame_title": "Janela de chat do Wazzup",
    "log.region": "Registro de eventos",
    "log.events": "Eventos",
    "log.records": "Registros no CRM",
    "log.rejected": "Mensagens rejeitadas",
    "log.notes": "Notas",
    "banner.unsigned_title": "Modo sem assinatura: só para a demo local.",
    "banner.unsigned_text": "Este proxy dá um link de chat a quem pedir, sem um início assinado "
    "pelo CRM. Nunca o exponha; execute make serve com LAUNCH_KEYS.",
    "event.WZ_CREATE_ENTITY": "Novo negócio solicitado",
    "event.WZ_OPEN_ENTITY": "Negócio aberto",
    "event.WZ_OUTPUT_MESSAGE": "Mensagem enviada",
    "row.chat": "Chat",
    "row.channel": "Canal",
    "row.user": "Usuário",
    "row.deal": "Negócio",
    "row.responsible": "Responsável",
    "row.message": "Mensagem",
    "row.contact": "Contato",
    "row.username": "Nome de usuário",
    "row.phone": "Telefone",
    "deal.open": "aberto",
    "deal.closed": "fechado",
    "deal.summary": "{name} (id {id}, {state})",
    "kind.deal_request": "pedido de negócio",
    "kind.deal_opened": "negócio aberto",
    "kind.contact": "contato",
    "record.queued": "na fila",
    "record.sending": "enviando…",
    "record.delivered": "entregue",
    "record.failed": "falhou",
    "record.retrying": "tentando de novo (tentativa {attempt})",
    "record.open_in_crm": "abrir no CRM",
    "record.retry": "Tentar de novo",
    "record.discard": "Descartar",
    "record.retry_label": "Tentar de novo o envio do registro “{kind}”",
    "record.discard_label": "Descartar o registro “{kind}”",
    "note.opened": "Aberto {url}",
    "note.link_refreshed": "O link do chat tinha expirado: um novo foi aberto, no mesmo chat.",
    "note.link_refresh_later": "O link do chat expirou e o proxy não responde; tentando de novo.",
    "announce.event": "Novo evento: {title}",
    "announce.failed": "Falha na entrega: {kind}: {reason}",
    "problem.unexpected": "Erro inesperado",
    "problem.chat_kept": (
        "A janela de chat continua funcionando, mas os seus eventos não são "
        "registrados e nada chega ao CRM até a página ser carregada de novo."
    ),
    "problem.invalid_setting": "Configuração inválida '{name}'",
    "problem.invalid_site": "Configuração inválida em site.json",
    "problem.settings_unreachable": "Configurações inacessíveis",
    "problem.settings_unreachable_detail": "Não foi possível carregar o site.json; verifique o "
    "servidor da página.",
    "link.unreachable": "O proxy não responde",
    "link.unreachable_detail": "Sem resposta do proxy em {where}. Verifique se o proxy está "
    "rodando e se proxyUrl no site.json aponta para ele.",
    "link.own_server": "o próprio servidor desta página",
    "link.unexpected": "O proxy respondeu algo inesperado",
    "link.unexpected_detail": "A resposta não tinha link de chat; verifique se proxyUrl aponta "
    "para o proxy deste projeto.",
    "link.http": "O proxy respondeu HTTP {status}",
    "link.http_detail": "Verifique se proxyUrl no site.json aponta para o proxy deste projeto.",
    "problem.settings_http_detail": "Não foi possível carregar o site.json (HTTP {status}); "
    "verifique o servidor da página.",
    "config.unknown_param": "parâmetro de URL desconhecido; os conhecidos são {known}",
    "config.repeated": "informado mais de uma vez; informe uma só vez",
    "config.user_required": "o id do usuário do CRM é obrigatório, como ?user=222555",
    "config.scope": "deve ser 'global' ou 'card', não {got}",
    "config.card_needs_chat": "scope=card precisa de pelo menos um chat, como "
    "chat=whatsapp:79998887766",
    "config.set_by_launch": "é definido pelo início assinado; remova-o da URL",
    "config.site_not_json": "não é um JSON válido ({detail})",
    "config.chat_type": "tipo de chat desconhecido {got}; use um destes: {allowed}",
    "config.chat_format": "precisa de chatType:chatId, como whatsapp:79998887766, não {got}",
    "config.events": "opção desconhecida {got}; use deals, messages, ambas ou none",
    "config.crm_not_allowed": "{got} não está em allowedCrmUrls do site.json; adicione-o lá antes",
    "config.crm_scheme": "deve ser uma URL http(s)",
    "config.lang": "deve ser um destes: {allowed}, não {got}",
    "config.theme": "deve ser um destes: {allowed}, não {got}",
    "config.mask": "deve ser 'on' ou 'off', não {got}",
    "diag.button": "Diagnóstico",
    "diag.title": "Diagnóstico",
    "diag.refresh": "Verificar de novo",
    "diag.close": "Fechar",
    "diag.checking": "verificando…",
    "diag.state.ok": "OK",
    "diag.state.warn": "Verificar",
    "diag.state.bad": "Problema",
    "diag.fix": "Como corrigir:",
    "diag.not_set": "não definido",
    "diag.proxy": "Proxy",
    "diag.proxy.ok": "responde em {url} em {ms} ms",
    "diag.proxy.down": "sem resposta de {url}: {reason}",
    "diag.proxy.down_fix": "Verifique se o proxy está rodando e se proxyUrl no site.json aponta "
    "para ele. Um proxy em outra origem deve listar a origem desta página em ALLOWED_ORIGINS.",
    "diag.proxy.http": "{url} respondeu HTTP {status}, não o status do proxy",
    "diag.proxy.http_fix": "Algo que não é o proxy responde em proxyUrl, ou o proxy falhou: "
    "verifique proxyUrl no site.json e o log do proxy.",
    "diag.upstream": "Wazzup (pelo proxy)",
    "diag.upstream.ok": "acessível (API {api})",
    "diag.upstream.bad": "o proxy não consegue usar o Wazzup: {detail}",
    "diag.upstream.bad_fix": "No proxy, verifique WAZZUP_API_KEY (WAZZUP_PARTNER_TOKEN para v2) e "
    "WAZZUP_BASE_URL, e se o servidor dele alcança o Wazzup.",
    "diag.upstream.unknown": "desconhecido: o proxy não respondeu",
    "diag.upstream.unknown_fix": "Corrija primeiro o proxy (a linha acima).",
    "diag.framing": "Incorporação",
    "diag.framing.top": "aberta sozinha, não dentro de uma página do CRM",
    "diag.framing.ok": "dentro de {origin}, como diz parentOrigin",
    "diag.framing.unset": "dentro de {origin}, mas o site.json não tem parentOrigin",
    "diag.framing.mismatch": "dentro de {origin}, mas parentOrigin é {expected}",
    "diag.framing.set_fix": "A página do CRM não recebe eventos desta página: defina "
    '"parentOrigin": "{origin}" no site.json.',
    "diag.framing.unknown": "dentro de uma página cuja origem o navegador não informa",
    "diag.framing.unknown_fix": "Confira se parentOrigin no site.json ({expected}) é a origem da "
    "página do CRM que incorpora esta.",
    "diag.permissions": "Microfone e área de transferência",
    "diag.permissions.ok": "permitidos",
    "diag.permissions.host_missing": "a página do CRM não repassa: {features}",
    "diag.permissions.host_missing_fix": "Mensagens de voz e cópia precisam deles: adicione "
    'allow="microphone; clipboard-write" à tag <iframe> da página do CRM que incorpora esta '
    "página.",
    "diag.permissions.chat_missing": "falta ao quadro da janela de chat: {features}",
    "diag.permissions.chat_missing_fix": "Recarregue a página; se continuar, algo na página "
    "mudou o atributo allow do quadro do chat.",
    "diag.no_chat": "ainda não há janela de chat",
    "diag.no_chat_fix": "Aguarde a janela de chat aparecer; se não aparecer, veja a mensagem no "
    "topo da página.",
    "diag.boot": "Tempo de inicialização",
    "diag.boot.ok": "chat após {chat} s, eventos após {events} s",
    "diag.boot.slow_fix": "Inicialização lenta: o navegador baixou e compilou o ambiente Python. "
    "Sirva vendor/ pelo proxy (ele faz cache e compressão) e verifique a rede e a CPU deste "
    "computador; recarregar costuma ser bem mais rápido.",
    "diag.boot.starting": "ainda iniciando (chat após {chat} s)",
    "diag.boot.not_yet": "ainda iniciando",
    "diag.boot.starting_fix": "Aguarde um pouco e verifique de novo; se continuar, veja a "
    "mensagem no topo da página.",
    "diag.events": "Último evento",
    "diag.events.last": "{type} às {time} (há {ago} s)",
    "diag.events.none": "nenhum evento ainda",
    "diag.events.none_fix": "Envie uma mensagem ou pressione + em Negócios na janela de chat. Se "
    "nada aparecer, verifique a configuração events (deals, messages).",
    "diag.events.off": "nenhum evento pedido (events=none)",
    "diag.events.rejected": "{count} mensagens rejeitadas, nenhuma aceita",
    "diag.events.rejected_fix": "Veja o motivo em Mensagens rejeitadas: só a janela de chat que "
    "esta página incorporou pode enviar eventos.",
    "diag.events.not_started": "a página ainda não escuta eventos",
    "diag.outbox": "Fila para o CRM",
    "diag.outbox.counts": "{queued} na fila, {sending} enviando, {failed} com falha, "
    "{delivered} entregues",
    "diag.outbox.off": "desligada: sem crmUrl",
    "diag.outbox.off_fix": "Para enviar um registro ao CRM a cada evento, defina crmUrl no "
    "site.json.",
    "diag.outbox.not_started": "ainda não iniciada",
    "diag.outbox.failed_fix": "O CRM recusou {count} registros ({error}). Corrija no CRM e "
    "pressione Tentar de novo neles em Registros no CRM.",
    "diag.outbox.retrying_fix": "{count} registros aguardam nova tentativa ({error}). Verifique se "
    "o CRM em {url} está no ar e aceita pedidos desta página; os registros ficam guardados e são "
    "enviados quando ele responder.",
    "export.title": "Exportar",
    "export.events_json": "Eventos, JSON",
    "export.events_csv": "Eventos, CSV",
    "export.deliveries_json": "Registros no CRM, JSON",
    "export.deliveries_csv": "Registros no CRM, CSV",
    "embed.title": "Janela de chats do Wazzup: configurações de incorporação",
    "embed.brand": "Chat do Wazzup: incorporação",
    "embed.proxy": "URL do proxy (serve a página da janela de chats)",
    "embed.crm": "URL do CRM (opcional; deve estar em allowedCrmUrls do site.json)",
    "embed.user": "ID do usuário",
    "embed.user_name": "Nome do usuário",
    "embed.scope": "Escopo",
    "embed.scope_card": "card: os chats de um cliente",
    "embed.scope_global": "global: todos os chats do usuário",
    "embed.chats": "Chats, um por linha: chatType:chatId[:nome]",
    "embed.active": "Chat ativo (opcional): chatType:chatId",
    "embed.events": "Eventos",
    "embed.events_deals": "negócios («+» e cliques em negócios)",
    "embed.events_messages": "mensagens",
    "embed.theme": "Tema (padrão: segue o modo claro ou escuro do host)",
    "embed.lang": "Idioma (padrão: o do site.json, senão o do navegador)",
    "embed.default": "padrão",
    "embed.result": "Resultado",
    "embed.embed_url": "URL para incorporar",
    "embed.copy_url": "Copiar URL",
    "embed.iframe_tag": "Tag iframe",
    "embed.copy_tag": "Copiar tag",
    "embed.test_title": "Testar o proxy",
    "embed.test": "Testar",
    "embed.no_answer": "sem resposta de {proxy} ({error}); verifique a URL e ALLOWED_ORIGINS",
    "embed.health_ok": "proxy OK, Wazzup OK",
    "embed.health_upstream": "proxy OK, Wazzup: {detail}",
    "embed.link_minted": "um link de chat foi obtido ({url}…)",
    "note.early_dropped": "{count} mensagens chegaram antes de a página ficar pronta: descartadas.",
}

CATALOG: dict[str, dict[str, str]] = {"en": EN, "ru": RU, "es": ES, "pt": PT}
_current = {"lang": DEFAULT_LANGUAGE}


def translate(lang: str, key: str, **args: object) -> str:
    """`key` in `lang` (English when that language lacks it), with `args` filled in."""
    text = CATALOG.get(lang, EN).get(key) or EN[key]
    return text.format(**args) if args else text


def t(key: str, **args: object) -> str:
    """`key` in the page's current language."""
    return translate(_current["lang"], key, **args)


def set_language(lang: str) -> str:
    _current["lang"] = lang if lang in CATALOG else DEFAULT_LANGUAGE
    return _current["lang"]


def current_language() -> str:
    return _current["lang"]


def choose_language(*candidates: str | None) -> str:
    """The first candidate this page speaks ("pt-BR" → "pt"), else English."""
    for candidate in candidates:
        code = str(candidate or "").strip().lower().replace("_", "-").split("-")[0]
        if code in CATALOG:
            return code
    return DEFAULT_LANGUAGE


def url_language(page_url: str) -> str | None:
    """The page URL's `lang` parameter when it names a language of ours (else None)."""
    values = parse_qs(urlsplit(page_url).query).get("lang") or []
    value = values[0].strip() if len(values) == 1 else ""
    return value if value in CATALOG else None
