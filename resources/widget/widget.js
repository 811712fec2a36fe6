/*
 * Frontline customer web chat: the customer side of docs/protocol.md (/ws/customer).
 *
 * - customer_hello with the visitor token from localStorage; the token the hub returns in
 *   customer_welcome is stored for the next visit (same customer, same conversation).
 * - customer_send carries a txn_id; a message stays in the outbox (also kept in localStorage)
 *   until its result arrives, and is re-sent with the SAME txn_id after a reconnect, so the
 *   hub never stores it twice.
 * - Reconnects with exponential backoff and jitter, except after a final close (4100-4199).
 * - All message text is rendered with textContent: it is plain text, never HTML; http(s)
 *   addresses in it become links (target=_blank, rel=noopener), nothing else does.
 * - The welcome holds the latest 200 messages; scrolling to the top loads earlier ones
 *   with customer_history (before_id = the oldest shown message), page by page.
 * - Files (images, PDF): uploaded in chunks (file_upload_begin / chunk / end, base64), then
 *   sent as a message of their own; a cut upload goes on where it stopped after the
 *   reconnect (begin again with the same txn_id). Images are shown inline, other files as
 *   links, both through signed URLs the hub gives (file_urls); the hub's refusals are said.
 */
(function () {
  "use strict";

  var PROTOCOL = 1;
  var MAX_TEXT_CHARS = 8000;
  var TOKEN_KEY = "frontline.visitor_token";
  var OUTBOX_KEY = "frontline.outbox";
  var BACKOFF_BASE_MS = 400;
  var BACKOFF_MAX_MS = 10000;
  var HELLO_TIMEOUT_MS = 10000;
  var TYPING_REPEAT_MS = 3000;   // send "typing" at most this often while keys are pressed
  var TYPING_IDLE_MS = 4000;     // then "not typing" after this long without a key
  var TYPING_SHOWN_MS = 6000;    // hide "Operator is typing…" if no update comes
  var WELCOME_MAX = 200;         // a welcome with this many messages may have older ones
  var OLDER_PAGE = 50;           // earlier messages loaded per scroll to the top
  var TOP_SLACK_PX = 40;         // "at the top" when this close to it
  var MAX_FILE_BYTES = 10 * 1024 * 1024;  // the hub's default limit (it checks again)
  var THUMB_W = 220, THUMB_H = 165;        // the largest inline image

  var STRINGS = {
    en: {
      title: "Chat with support",
      empty: "Write us — an operator usually answers within a minute",
      placeholder: "Type a message…",
      send: "Send",
      connecting: "Connecting…",
      connected: "Connected",
      reconnecting: "Reconnecting…",
      closed: "Chat is unavailable. Please reload the page later.",
      queued: "will be sent when connected",
      sending: "sending…",
      failed: "Not sent — tap to retry",
      support: "Support",
      you: "You",
      typing: "Operator is typing…",
      older: "Loading earlier messages…",
      away: "We are away right now and will be back {when}. Leave a message: we will answer then.",
      attach: "Attach a file",
      uploading: "uploading {pct}%",
      cancel: "Cancel",
      tooBig: "{name} is too big: files up to 10 MB can be sent.",
      typeNotAllowed: "{name} cannot be sent: only images (PNG, JPEG, GIF, WebP) and PDF files.",
      broken: "{name} cannot be sent: the file is damaged.",
      notSent: "{name} was not sent: {why}",
      botLabel: "Suggested answer",
      botHelped: "This helped",
      botPerson: "Talk to a person",
      botThanks: "Glad it helped! Write to us any time if you need more.",
      botHanded: "An operator will answer you here.",
      botFailed: "Not sent — please try again"
    },
    ru: {
      title: "Чат с поддержкой",
      empty: "Напишите нам — оператор обычно отвечает в течение минуты",
      placeholder: "Введите сообщение…",
      send: "Отправить",
      connecting: "Подключение…",
      connected: "Подключено",
      reconnecting: "Переподключение…",
      closed: "Чат недоступен. Пожалуйста, обновите страницу позже.",
      queued: "отправится после подключения",
      sending: "отправка…",
      failed: "Не отправлено — нажмите, чтобы повторить",
      support: "Поддержка",
      you: "Вы",
      typing: "Оператор печатает…",
      older: "Загрузка предыдущих сообщений…",
      away: "Сейчас нас нет на месте, вернёмся {when}. Оставьте сообщение — мы ответим.",
      attach: "Прикрепить файл",
      uploading: "загрузка {pct}%",
      cancel: "Отменить",
      tooBig: "{name} слишком большой: можно отправлять файлы до 10 МБ.",
      typeNotAllowed: "{name} нельзя отправить: только изображения (PNG, JPEG, GIF, WebP) и PDF.",
      broken: "{name} нельзя отправить: файл повреждён.",
      notSent: "{name} не отправлен: {why}",
      botLabel: "Возможный ответ",
      botHelped: "Это помогло",
      botPerson: "Позвать оператора",
      botThanks: "Рады, что помогло! Пишите, если понадобится что-то ещё.",
      botHanded: "Оператор ответит вам здесь.",
      botFailed: "Не отправлено — попробуйте ещё раз"
    },
    uk: {
      title: "Чат з підтримкою",
      empty: "Напишіть нам — оператор зазвичай відповідає протягом хвилини",
      placeholder: "Введіть повідомлення…",
      send: "Надіслати",
      connecting: "Підключення…",
      connected: "Підключено",
      reconnecting: "Перепідключення…",
      closed: "Чат недоступний. Будь ласка, оновіть сторінку пізніше.",
      queued: "буде надіслано після підключення",
      sending: "надсилання…",
      failed: "Не надіслано — натисніть, щоб повторити",
      support: "Підтримка",
      you: "Ви",
      typing: "Оператор друкує…",
      older: "Завантаження попередніх повідомлень…",
      away: "Зараз нас немає на місці, повернемося {when}. Залиште повідомлення — ми відповімо.",
      attach: "Прикріпити файл",
      uploading: "завантаження {pct}%",
      cancel: "Скасувати",
      tooBig: "{name} завеликий: можна надсилати файли до 10 МБ.",
      typeNotAllowed: "{name} не можна надіслати: лише зображення (PNG, JPEG, GIF, WebP) і PDF.",
      broken: "{name} не можна надіслати: файл пошкоджено.",
      notSent: "{name} не надіслано: {why}",
      botLabel: "Можлива відповідь",
      botHelped: "Це допомогло",
      botPerson: "Покликати оператора",
      botThanks: "Раді, що допомогло! Пишіть, якщо знадобиться щось іще.",
      botHanded: "Оператор відповість вам тут.",
      botFailed: "Не надіслано — спробуйте ще раз"
    }
  };

  // ------------------------------------------------------------------ language

  function pickLang() {
    var forced = new URLSearchParams(location.search).get("lang");
    var candidates = [forced].concat(navigator.languages || [], [navigator.language]);
    for (var i = 0; i < candidates.length; i++) {
      var c = (candidates[i] || "").toLowerCase().split(/[-_]/)[0];
      if (STRINGS[c]) return c;
    }
    return "en";
  }

  var lang = pickLang();
  var T = STRINGS[lang];

  function applyStrings() {
    document.documentElement.lang = lang;
    document.title = T.title;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = T[el.getAttribute("data-i18n")];
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
      el.setAttribute("placeholder", T[el.getAttribute("data-i18n-placeholder")]);
    });
    document.querySelectorAll("[data-i18n-title]").forEach(function (el) {
      var s = T[el.getAttribute("data-i18n-title")];
      el.setAttribute("title", s);
      el.setAttribute("aria-label", s);
    });
  }

  // ------------------------------------------------------------------ storage (may be unavailable)

  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function save(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: this visit only */ }
  }

  // ------------------------------------------------------------------ ids

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID exists only in secure contexts; plain http on a LAN address is not one.
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ------------------------------------------------------------------ elements

  var els = {};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function formatTime(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) return "";
    try {
      return d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return d.toTimeString().slice(0, 5);
    }
  }

  // ------------------------------------------------------------------ state

  var ws = null;
  var ready = false;          // welcome received on the current connection
  var finalClose = false;     // a 4100-4199 close: never reconnect
  var attempt = 0;            // reconnects since the last welcome
  var reconnectTimer = null;
  var helloTimer = null;
  var everConnected = false;
  var shownIds = {};          // message id -> element
  var outbox = [];            // [{txn_id, text, el}] not yet confirmed by a result

  function setStatus(state) {
    els.status.setAttribute("data-state", state);
    els.status.textContent = T[state];
  }

  function updateEmpty() {
    els.empty.hidden = els.messages.querySelector(".msg") !== null;
  }

  function scrollToEnd() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  function setMeta(node, text) {
    var meta = node.querySelector(".meta");
    if (!meta) {
      meta = el("span", "meta");
      node.appendChild(meta);
    }
    meta.textContent = text;
  }

  // http(s) addresses in a message (an operator's link to a public article, say) become
  // links; everything else stays text. Only http: and https: are ever linked, so a
  // "javascript:" or "data:" address is just text; links open in a new tab without
  // giving the page a handle on this one (rel=noopener).
  var URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

  function safeHref(raw) {
    try {
      var u = new URL(raw);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function textWithLinks(text) {
    var span = el("span", "text");
    text = text || "";
    var pos = 0;
    var m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      var url = m[0];
      // a sentence's full stop or a closing bracket after the address is not part of it
      while (/[.,;:!?)\]}»]$/.test(url)) {
        var last = url.charAt(url.length - 1);
        if (last === ")" && url.split("(").length > url.split(")").length - 1) break;
        url = url.slice(0, -1);
      }
      var href = safeHref(url);
      if (!href) continue;
      if (m.index > pos) span.appendChild(document.createTextNode(text.slice(pos, m.index)));
      var a = el("a", "link", url);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      span.appendChild(a);
      pos = m.index + url.length;
      URL_RE.lastIndex = pos;
    }
    if (pos < text.length) span.appendChild(document.createTextNode(text.slice(pos)));
    return span;
  }

  function messageElement(author, text, authorName, createdAt, attachments) {
    var kind = author === "operator" || author === "system" ? author : "customer";
    var node = el("div", "msg");
    node.setAttribute("data-author", kind);
    if (kind === "operator") {
      node.appendChild(el("span", "author", authorName || T.support));
    }
    if (text || !attachments || !attachments.length) node.appendChild(textWithLinks(text));
    (attachments || []).forEach(function (a) { node.appendChild(attachmentElement(a)); });
    if (kind !== "system") setMeta(node, formatTime(createdAt));
    return node;
  }

  // ------------------------------------------------------------------ attachments

  function humanSize(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return Math.round(n / 1024) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  var urlWaiters = {};     // file id -> [function(url)]
  var urlTimer = null;
  var urlCache = {};       // file id -> signed URL (valid for an hour)

  function withUrl(fileId, fn) {
    if (urlCache[fileId]) { fn(urlCache[fileId]); return; }
    (urlWaiters[fileId] = urlWaiters[fileId] || []).push(fn);
    if (!urlTimer) urlTimer = setTimeout(askUrls, 0);   // one file_urls for all shown at once
  }

  function askUrls() {
    urlTimer = null;
    var ids = Object.keys(urlWaiters).map(Number);
    if (!ids.length) return;
    if (!ready) return;                       // asked again after the welcome
    call({ type: "file_urls", file_ids: ids }).then(function (data) {
      var urls = (data && data.urls) || {};
      ids.forEach(function (id) {
        var fns = urlWaiters[id] || [];
        delete urlWaiters[id];
        if (typeof urls[String(id)] === "string") {
          urlCache[id] = urls[String(id)];
          fns.forEach(function (fn) { fn(urlCache[id]); });
        }
      });
    }, function () { /* kept in urlWaiters: asked again after the next welcome */ });
  }

  function attachmentElement(a) {
    if (/^image\//.test(a.mime || "")) {
      var img = el("img", "attachment-image");
      var w = a.width || THUMB_W, h = a.height || THUMB_H;
      var scale = Math.min(1, THUMB_W / w, THUMB_H / h);
      img.width = Math.max(24, Math.round(w * scale));   // the size is known before the bytes
      img.height = Math.max(24, Math.round(h * scale));
      img.alt = a.name || "";
      img.title = a.name + " · " + humanSize(a.size || 0);
      img.setAttribute("data-file", String(a.id));
      withUrl(a.id, function (url) {
        img.src = url;
        img.addEventListener("click", function () { window.open(url, "_blank", "noopener"); });
      });
      return img;
    }
    var link = el("a", "attachment-file");
    var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");   // no emoji font needed
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("width", "16");
    icon.setAttribute("height", "16");
    icon.setAttribute("aria-hidden", "true");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M6 2h8l5 5v15H6z M14 2v5h5");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.8");
    path.setAttribute("stroke-linejoin", "round");
    icon.appendChild(path);
    link.appendChild(icon);
    link.appendChild(document.createTextNode((a.name || "file") + " · " + humanSize(a.size || 0)));
    link.setAttribute("data-file", String(a.id));
    link.setAttribute("download", a.name || "file");
    link.rel = "noopener";
    withUrl(a.id, function (url) { link.href = url; });
    return link;
  }

  // ------------------------------------------------------------------ commands with a promise

  var calls = {};   // txn_id -> {resolve, reject}

  function call(frame) {
    return new Promise(function (resolve, reject) {
      if (!ready || !ws || ws.readyState !== WebSocket.OPEN) { reject({ code: "offline" }); return; }
      frame.txn_id = frame.txn_id || uuid4();
      calls[frame.txn_id] = { resolve: resolve, reject: reject };
      ws.send(JSON.stringify(frame));
    });
  }

  function failCalls() {
    Object.keys(calls).forEach(function (k) { calls[k].reject({ code: "offline" }); });
    calls = {};
  }

  var readyWaiters = [];
  function whenReady() {
    return new Promise(function (resolve) {
      if (ready) resolve(); else readyWaiters.push(resolve);
    });
  }

  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer), out = "", step = 0x8000;
    for (var i = 0; i < bytes.length; i += step) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
    }
    return btoa(out);
  }

  function refusal(code, name, text) {
    var key = { file_too_big: "tooBig", file_type_not_allowed: "typeNotAllowed", file_broken: "broken" }[code];
    if (key) return T[key].replace("{name}", name);
    return T.notSent.replace("{name}", name).replace("{why}", text || code || "");
  }

  function showUploadError(text) {
    els.uploadError.textContent = text;    // text, never HTML
    els.uploadError.hidden = !text;
  }

  // Upload one file and send it as a message of its own. The bubble shows the progress
  // and a cancel link; a cut connection pauses it, the next welcome resumes it.
  function sendFile(file) {
    showUploadError("");
    if (file.size > MAX_FILE_BYTES) { showUploadError(refusal("file_too_big", file.name)); return; }
    var node = messageElement("customer", "");
    node.classList.add("pending", "uploading");
    var label = el("span", "text", file.name);
    node.insertBefore(label, node.firstChild);
    var cancel = el("button", "cancel-upload", T.cancel);
    cancel.type = "button";
    node.appendChild(cancel);
    els.messages.appendChild(node);
    updateEmpty();
    scrollToEnd();
    var state = { cancelled: false, uploadId: null };
    var beginTxn = uuid4();
    cancel.addEventListener("click", function () {
      state.cancelled = true;
      if (state.uploadId) call({ type: "file_upload_cancel", upload_id: state.uploadId }).catch(function () {});
      node.remove();
      updateEmpty();
    });

    function progress(offset) {
      var pct = file.size ? Math.floor(100 * offset / file.size) : 100;
      setMeta(node, T.uploading.replace("{pct}", String(pct)));
    }

    function run() {
      return whenReady().then(function () {
        return call({ type: "file_upload_begin", txn_id: beginTxn, name: file.name, size: file.size,
                      mime: file.type || "" });
      }).then(function (b) {
        state.uploadId = b.upload_id;
        var chunk = b.chunk_bytes || 65536;
        function next(offset) {
          progress(offset);
          if (state.cancelled) return Promise.reject({ code: "cancelled" });
          if (offset >= file.size) return call({ type: "file_upload_end", upload_id: b.upload_id });
          return file.slice(offset, offset + chunk).arrayBuffer().then(function (buf) {
            return call({ type: "file_upload_chunk", upload_id: b.upload_id, offset: offset, data: toBase64(buf) });
          }).then(function (r) { return next(r.offset); });
        }
        return next(b.offset || 0);
      }).then(function (ended) {
        return call({ type: "customer_send", text: "", attachments: [ended.file.id] });
      }).then(function (data) {
        node.remove();
        showMessage(data.message);
      }, function (err) {
        if (state.cancelled) return undefined;
        if (err && (err.code === "offline" || err.code === "upload_offset")) {
          setMeta(node, T.queued);
          return run();             // after the reconnect: begin again with the same txn_id
        }
        node.remove();
        updateEmpty();
        showUploadError(refusal(err && err.code, file.name, err && err.text));
        return undefined;
      });
    }
    run();
  }

  function showMessage(m) {
    if (!m || typeof m.id !== "number") return;
    if (shownIds[m.id]) return;
    // Our own message whose result was lost: the history carries its txn_id.
    if (m.txn_id) {
      var pending = findPending(m.txn_id);
      if (pending) {
        confirm(pending, m);
        return;
      }
    }
    var node = messageElement(m.author, m.text, m.author_name, m.created_at, m.attachments);
    node.setAttribute("data-id", String(m.id));
    shownIds[m.id] = node;
    insertConfirmed(node);
    updateEmpty();
    scrollToEnd();
  }

  // ------------------------------------------------------------------ the bot first line

  // The hub's bot_suggestion: a public article that may answer the first message, shown
  // as a card with "This helped" / "Talk to a person" (the way to a person is always
  // there). Writing again instead also hands the chat to the team (the hub notes it).
  var botCard = null;         // {conversationId, el} of the unanswered offer shown

  function botDone(text) {
    if (!botCard) return;
    var card = botCard.el;
    botCard = null;
    var actions = card.querySelector(".bot-actions");
    if (actions) actions.remove();
    card.classList.add("answered");
    card.appendChild(el("div", "bot-outcome", text));
    scrollToEnd();
  }

  function botAnswer(helped) {
    if (!botCard) return;
    var card = botCard.el;
    card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    call({ type: "bot_feedback", helped: helped }).then(function (data) {
      botDone(data.outcome === "helped" ? T.botThanks : T.botHanded);
    }, function (err) {
      if (err && err.code === "not_found") { botDone(T.botHanded); return; }
      card.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      setMeta(card, T.botFailed);
    });
  }

  function showBotSuggestion(f) {
    if (!f || typeof f.title !== "string" || typeof f.text !== "string") return;
    if (botCard && botCard.conversationId === f.conversation_id) return;   // shown already
    if (botCard) botCard.el.remove();
    var card = el("div", "bot-card");
    card.setAttribute("data-article", String(f.article_id || ""));
    card.appendChild(el("span", "bot-label", T.botLabel));
    card.appendChild(el("div", "bot-title", f.title));   // text, never HTML
    var body = el("div", "bot-text", f.text);
    if (f.lang) body.setAttribute("lang", f.lang);
    card.appendChild(body);
    var actions = el("div", "bot-actions");
    var helped = el("button", "bot-helped", T.botHelped);
    helped.type = "button";
    helped.addEventListener("click", function () { botAnswer(true); });
    var person = el("button", "bot-person", T.botPerson);
    person.type = "button";
    person.addEventListener("click", function () { botAnswer(false); });
    actions.appendChild(helped);
    actions.appendChild(person);
    card.appendChild(actions);
    botCard = { conversationId: f.conversation_id, el: card };
    insertConfirmed(card);
    scrollToEnd();
  }

  // ------------------------------------------------------------------ earlier messages

  var olderMore = false;      // the hub may have messages older than the oldest shown
  var olderTxn = null;        // txn_id of the customer_history request in flight
  var olderNode = null;       // "Loading earlier messages…" at the top while it runs

  function oldestShownId() {
    var oldest = null;
    Object.keys(shownIds).forEach(function (k) {
      var id = Number(k);
      if (oldest === null || id < oldest) oldest = id;
    });
    return oldest;
  }

  function loadOlder() {
    if (!olderMore || olderTxn || !ready || !ws || ws.readyState !== WebSocket.OPEN) return;
    var before = oldestShownId();
    if (before === null) return;
    olderTxn = uuid4();
    olderNode = el("div", "older", T.older);
    els.messages.insertBefore(olderNode, els.messages.querySelector(".msg"));
    ws.send(JSON.stringify({ type: "customer_history", txn_id: olderTxn, before_id: before, limit: OLDER_PAGE }));
  }

  function olderDone() {
    olderTxn = null;
    if (olderNode && olderNode.parentNode) olderNode.parentNode.removeChild(olderNode);
    olderNode = null;
  }

  // A page of earlier messages goes on top; what the visitor is looking at stays put.
  function showOlder(data) {
    var box = els.messages;
    var fromBottom = box.scrollHeight - box.scrollTop;
    olderDone();
    var messages = (data && Array.isArray(data.messages)) ? data.messages : [];
    olderMore = !!(data && data.has_more);
    var first = box.querySelector(".msg");
    messages.forEach(function (m) {
      if (!m || typeof m.id !== "number" || shownIds[m.id]) return;
      var node = messageElement(m.author, m.text, m.author_name, m.created_at, m.attachments);
      node.setAttribute("data-id", String(m.id));
      shownIds[m.id] = node;
      box.insertBefore(node, first);
    });
    box.scrollTop = box.scrollHeight - fromBottom;
    updateEmpty();
  }

  function onMessagesScroll() {
    if (els.messages.scrollTop <= TOP_SLACK_PX) loadOlder();
  }

  // Confirmed messages go before the first still-pending one.
  function insertConfirmed(node) {
    var firstPending = els.messages.querySelector(".msg.pending, .msg.failed");
    els.messages.insertBefore(node, firstPending);
  }

  // ------------------------------------------------------------------ outbox

  function persistOutbox() {
    save(OUTBOX_KEY, JSON.stringify(outbox.map(function (o) { return { txn_id: o.txn_id, text: o.text }; })));
  }

  function findPending(txnId) {
    for (var i = 0; i < outbox.length; i++) {
      if (outbox[i].txn_id === txnId) return outbox[i];
    }
    return null;
  }

  function dropPending(item) {
    outbox = outbox.filter(function (o) { return o !== item; });
    persistOutbox();
  }

  function confirm(item, m) {
    dropPending(item);
    var node = item.el;
    if (!m || typeof m.id !== "number") {
      node.classList.remove("pending");
      setMeta(node, formatTime());
      return;
    }
    if (shownIds[m.id]) {
      node.remove();          // already on screen (from a history)
    } else {
      node.classList.remove("pending");
      node.setAttribute("data-id", String(m.id));
      setMeta(node, formatTime(m.created_at));
      shownIds[m.id] = node;
      node.remove();
      insertConfirmed(node);
    }
    updateEmpty();
    scrollToEnd();
  }

  function fail(item, text) {
    dropPending(item);
    var node = item.el;
    node.classList.remove("pending");
    node.classList.add("failed");
    node.title = text || "";
    setMeta(node, T.failed);
    node.addEventListener("click", function retry() {
      node.removeEventListener("click", retry);
      node.classList.remove("failed");
      node.title = "";
      enqueue(item.text, uuid4(), node);   // a new command: the old txn_id has its answer
    });
  }

  function enqueue(text, txnId, existing) {
    var node = existing || messageElement("customer", text);
    node.classList.add("pending");
    node.setAttribute("data-txn", txnId);
    if (!existing) {
      els.messages.appendChild(node);
    } else {
      node.remove();
      els.messages.appendChild(node);
    }
    var item = { txn_id: txnId, text: text, el: node };
    outbox.push(item);
    persistOutbox();
    updateEmpty();
    scrollToEnd();
    transmit(item);
  }

  function transmit(item) {
    if (ready && ws && ws.readyState === WebSocket.OPEN) {
      setMeta(item.el, T.sending);
      ws.send(JSON.stringify({ type: "customer_send", txn_id: item.txn_id, text: item.text }));
    } else {
      setMeta(item.el, T.queued);
    }
  }

  function flushOutbox() {
    outbox.slice().forEach(transmit);
  }

  // ------------------------------------------------------------------ connection

  function hubUrl() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + "/ws/customer";
  }

  function connect() {
    reconnectTimer = null;
    if (finalClose) return;
    setStatus(everConnected || attempt > 0 ? "reconnecting" : "connecting");
    var sock;
    try {
      sock = new WebSocket(hubUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    ready = false;

    sock.onopen = function () {
      if (sock !== ws) return;
      sock.send(JSON.stringify({
        type: "customer_hello",
        protocol: PROTOCOL,
        visitor_token: load(TOKEN_KEY) || "",
        name: "",
        locale: lang
      }));
      helloTimer = setTimeout(function () { if (sock === ws && !ready) sock.close(4000); }, HELLO_TIMEOUT_MS);
    };

    sock.onmessage = function (ev) {
      if (sock !== ws || typeof ev.data !== "string") return;
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if (!frame || typeof frame !== "object") return;
      handleFrame(frame);
    };

    sock.onclose = function (ev) {
      if (sock !== ws) return;
      clearTimeout(helloTimer);
      ready = false;
      ws = null;
      olderDone();   // asked again after the next welcome, if the visitor scrolls up
      failCalls();   // uploads pause; they go on after the next welcome
      outbox.forEach(function (o) { setMeta(o.el, T.queued); });
      if (ev.code >= 4100 && ev.code <= 4199) {
        finalClose = true;
        setStatus("closed");
        return;
      }
      scheduleReconnect();
    };

    sock.onerror = function () { /* onclose follows and decides */ };
  }

  function scheduleReconnect() {
    if (finalClose || reconnectTimer) return;
    setStatus(everConnected || attempt > 0 ? "reconnecting" : "connecting");
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    var delay = ceiling / 2 + Math.random() * ceiling / 2;   // "equal jitter"
    attempt += 1;
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (finalClose || ws) return;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    connect();
  }

  // ------------------------------------------------------------------ typing, business hours

  var typingSentAt = 0;
  var typingIdleTimer = null;
  var typingShownTimer = null;

  function sendTyping(on) {
    if (!ws || !ready || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "customer_typing", typing: on }));   // ephemeral: no answer
  }

  function onComposerInput() {
    var has = /\S/.test(els.composer.value);
    clearTimeout(typingIdleTimer);
    if (!has) { stopTyping(); return; }
    var now = Date.now();
    if (now - typingSentAt >= TYPING_REPEAT_MS) {
      typingSentAt = now;
      sendTyping(true);
    }
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (typingSentAt) sendTyping(false);
    typingSentAt = 0;
  }

  function showOperatorTyping(on) {
    clearTimeout(typingShownTimer);
    els.typing.hidden = !on;
    if (on) typingShownTimer = setTimeout(function () { els.typing.hidden = true; }, TYPING_SHOWN_MS);
  }

  function showHours(teamOpen, backAt) {
    if (teamOpen !== false || !backAt) {
      els.hours.hidden = true;
      return;
    }
    var when = new Date(backAt);
    var text = isNaN(when.getTime()) ? backAt : when.toLocaleString(document.documentElement.lang || undefined, {
      weekday: "long", hour: "2-digit", minute: "2-digit"
    });
    els.hours.textContent = T.away.replace("{when}", text);   // text, never HTML
    els.hours.hidden = false;
  }

  function handleFrame(f) {
    switch (f.type) {
      case "operator_typing":
        showOperatorTyping(f.typing === true);
        break;
      case "customer_welcome":
        clearTimeout(helloTimer);
        showHours(f.team_open, f.back_at);
        ready = true;
        everConnected = true;
        attempt = 0;
        if (typeof f.visitor_token === "string" && f.visitor_token) save(TOKEN_KEY, f.visitor_token);
        (f.messages || []).forEach(showMessage);
        if ((f.messages || []).length >= WELCOME_MAX) olderMore = true;
        if (f.bot_suggestion) showBotSuggestion(f.bot_suggestion);
        setStatus("connected");
        flushOutbox();
        readyWaiters.splice(0).forEach(function (fn) { fn(); });
        askUrls();
        break;
      case "result": {
        if (calls[f.txn_id]) {
          var c = calls[f.txn_id];
          delete calls[f.txn_id];
          c.resolve(f.data || {});
          break;
        }
        if (olderTxn && f.txn_id === olderTxn) {
          showOlder(f.data);
          break;
        }
        var item = findPending(f.txn_id);
        if (item) confirm(item, f.data && f.data.message);
        break;
      }
      case "error": {
        if (f.txn_id && calls[f.txn_id]) {
          var e = calls[f.txn_id];
          delete calls[f.txn_id];
          e.reject({ code: f.code, text: f.text });
          break;
        }
        if (olderTxn && f.txn_id === olderTxn) {
          olderDone();
          olderMore = false;   // not asked again on this page; a reload tries afresh
          break;
        }
        var failed = f.txn_id ? findPending(f.txn_id) : null;
        if (failed) fail(failed, f.text);
        break;
      }
      case "bot_suggestion":
        showBotSuggestion(f);
        break;
      case "message_created":
        if (f.message && f.message.author === "operator") showOperatorTyping(false);
        showMessage(f.message);
        break;
      default:
        break;    // unknown frames are ignored (forward compatibility)
    }
  }

  // ------------------------------------------------------------------ composer

  function autosize() {
    els.composer.style.height = "auto";
    els.composer.style.height = Math.min(els.composer.scrollHeight + 2, 140) + "px";
  }

  function submit() {
    var text = els.composer.value.replace(/^\s+|\s+$/g, "");
    if (!text) return;
    if (text.length > MAX_TEXT_CHARS) text = text.slice(0, MAX_TEXT_CHARS);
    els.composer.value = "";
    autosize();
    stopTyping();
    botDone(T.botHanded);   // writing again: the chat goes on with the team
    enqueue(text, uuid4());
    els.composer.focus();
  }

  function restoreOutbox() {
    var raw = load(OUTBOX_KEY);
    if (!raw) return;
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { return; }
    if (!Array.isArray(saved)) return;
    saved.forEach(function (o) {
      if (o && typeof o.txn_id === "string" && typeof o.text === "string" && o.text) {
        var node = messageElement("customer", o.text);
        node.classList.add("pending");
        node.setAttribute("data-txn", o.txn_id);
        els.messages.appendChild(node);
        setMeta(node, T.queued);
        outbox.push({ txn_id: o.txn_id, text: o.text, el: node });
      }
    });
    updateEmpty();
  }

  function start() {
    els.messages = document.getElementById("messages");
    els.empty = document.getElementById("empty");
    els.status = document.getElementById("status");
    els.composer = document.getElementById("composer");
    els.send = document.getElementById("send");
    els.form = document.getElementById("composer-form");
    els.typing = document.getElementById("typing");
    els.hours = document.getElementById("hours");
    els.file = document.getElementById("file");
    els.attach = document.getElementById("attach");
    els.uploadError = document.getElementById("upload-error");
    applyStrings();
    els.attach.addEventListener("click", function () { els.file.click(); });
    els.file.addEventListener("change", function () {
      Array.prototype.forEach.call(els.file.files || [], sendFile);
      els.file.value = "";
    });
    restoreOutbox();

    els.form.addEventListener("submit", function (e) {
      e.preventDefault();
      submit();
    });
    els.composer.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit();
      }
    });
    els.composer.addEventListener("input", autosize);
    els.messages.addEventListener("scroll", onMessagesScroll);
    els.composer.addEventListener("input", onComposerInput);
    window.addEventListener("online", reconnectNow);
    // Phones freeze timers of background tabs: try at once when the page is looked at again.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") reconnectNow();
    });

    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
