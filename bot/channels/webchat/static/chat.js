/* Assesseur web chat: plain JavaScript, no framework, no build step.
   Texts come from data- attributes filled by the server from locales/. */
(function () {
  "use strict";

  var STORE_KEY = "assesseur.conversation_id";
  var POLL_MS = 5000;
  var URL_RE = /https?:\/\/[^\s<>"]+/g;
  var TRAILING = /[.,;:!?)\]»'’"]+$/;

  var main = document.getElementById("chat");
  var log = document.getElementById("log");
  var list = document.getElementById("messages");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var restartButton = document.getElementById("restart");
  var busyLine = document.getElementById("busy");
  var statusLine = document.getElementById("status");
  var errorBox = document.getElementById("error");
  var composer = document.getElementById("composer");
  var t = main.dataset;
  var api = t.api;
  var pageLang = t.pageLang || "fr";

  var conversationId = null;
  var locale = pageLang;
  var status = "bot";
  var busy = false;
  var generation = 0; // bumped by "Nouvelle conversation": late answers of the old one are dropped
  var known = 0; // transcript entries already shown, for the agent hand-off polling
  var pollTimer = null;

  /* ---- storage (may be unavailable: private mode, policies) ---- */
  function loadId() {
    try { return window.localStorage.getItem(STORE_KEY); } catch (e) { return null; }
  }
  function saveId(id) {
    try {
      if (id) { window.localStorage.setItem(STORE_KEY, id); } else { window.localStorage.removeItem(STORE_KEY); }
    } catch (e) { /* the conversation simply won't survive a reload */ }
  }

  /* ---- HTTP ---- */
  // the page's own wording (in the page language) for refusals a voter can meet
  var ERROR_TEXTS = {
    empty_text: t.errorEmpty,
    text_too_long: t.errorTooLong,
    body_too_large: t.errorTooLong,
    unknown_action: t.errorUnknownAction,
    internal_error: t.errorGeneric
  };

  function ApiError(message, httpStatus) {
    this.message = message;
    this.httpStatus = httpStatus;
  }

  function request(method, path, body) {
    var options = { method: method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) {
      return response.json().then(
        function (data) { return data; },
        function () { return null; }
      ).then(function (data) {
        if (response.ok && data) { return data; }
        var refusal = (data && data.error) || {};
        throw new ApiError(ERROR_TEXTS[refusal.code] || refusal.message || t.errorGeneric, response.status);
      });
    }, function () {
      throw new ApiError(t.errorNetwork, 0);
    });
  }

  /* ---- rendering: textContent and elements only, never innerHTML ---- */
  function hiddenText(text, lang) {
    var span = document.createElement("span");
    span.className = "visually-hidden";
    span.lang = lang;
    span.textContent = text;
    return span;
  }

  function safeHref(url) {
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function newTabLink(href, label, className) {
    var a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    if (className) { a.className = className; }
    a.appendChild(document.createTextNode(label));
    a.appendChild(hiddenText(" " + t.newTab, pageLang));
    return a;
  }

  function appendText(parent, text) {
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(TRAILING, "");
      var href = safeHref(url);
      if (!href) { return match; }
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(newTabLink(href, url));
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderButtons(buttons) {
    var box = document.createElement("div");
    box.className = "msg__buttons";
    buttons.forEach(function (button) {
      var element;
      if (button.url) {
        var href = safeHref(button.url);
        if (!href) { return; }
        element = newTabLink(href, button.label, "btn btn--choice btn--link");
      } else if (button.action) {
        element = document.createElement("button");
        element.type = "button";
        element.className = "btn btn--choice";
        element.dataset.action = button.action;
        element.textContent = button.label;
      } else {
        return;
      }
      box.appendChild(element);
    });
    return box;
  }

  function renderMessage(from, message) {
    var item = document.createElement("li");
    item.className = "msg msg--" + (from === "voter" ? "voter" : "bot");
    item.lang = locale;
    item.appendChild(hiddenText(from === "voter" ? t.fromVoter : t.fromBot, pageLang));
    var text = document.createElement("p");
    text.className = "msg__text";
    appendText(text, message.text || "");
    item.appendChild(text);
    if (message.buttons && message.buttons.length) {
      item.appendChild(renderButtons(message.buttons));
    }
    list.appendChild(item);
    return item;
  }

  function renderReplies(messages) {
    var first = null;
    (messages || []).forEach(function (message) {
      var item = renderMessage("bot", message);
      if (!first) { first = item; }
    });
    return first;
  }

  function reveal(item) {
    if (item && item.scrollIntoView) { item.scrollIntoView({ block: "start" }); }
  }

  /* ---- state shown around the log ---- */
  function setBusy(value) {
    busy = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    sendButton.setAttribute("aria-disabled", value ? "true" : "false");
    busyLine.hidden = !value;
  }

  function showError(message) {
    errorBox.textContent = message || "";
  }

  function setLocale(value) {
    if (value === "fr" || value === "en") {
      locale = value;
      document.documentElement.lang = value;
    }
  }

  function setStatus(value) {
    status = value || "bot";
    var text = status === "waiting_agent" ? t.statusWaitingAgent : status === "agent" ? t.statusAgent : "";
    if (statusLine.textContent !== text) { statusLine.textContent = text; }
    schedulePoll();
  }

  /* ---- conversation ---- */
  function preferredLocale() {
    var asked = new URLSearchParams(window.location.search).get("lang");
    var browser = (navigator.language || "").slice(0, 2).toLowerCase();
    var choice = asked || browser;
    return choice === "fr" || choice === "en" ? choice : pageLang;
  }

  function start() {
    var mine = ++generation;
    stopPoll();
    list.textContent = "";
    showError("");
    setStatus("bot");
    conversationId = null;
    saveId(null);
    setBusy(true);
    var wanted = preferredLocale();
    return request("POST", "/conversations", { locale: wanted }).then(function (data) {
      if (mine !== generation) { return; }
      conversationId = data.conversation_id;
      saveId(conversationId);
      setLocale(data.locale || wanted);
      known = (data.messages || []).length;
      renderReplies(data.messages);
      setStatus(data.status);
    }, function (error) {
      if (mine === generation) { showError(error.message); }
    }).then(function () {
      if (mine === generation) { setBusy(false); }
    });
  }

  function restore(id) {
    var mine = ++generation;
    setBusy(true);
    return request("GET", "/conversations/" + encodeURIComponent(id)).then(function (data) {
      if (mine !== generation) { return; }
      conversationId = data.conversation_id || id;
      setLocale(data.locale);
      (data.messages || []).forEach(function (entry) { renderMessage(entry.from, entry); });
      known = (data.messages || []).length;
      setStatus(data.status);
      setBusy(false);
      var items = list.children;
      if (items.length) { reveal(items[items.length - 1]); }
    }, function (error) {
      if (mine !== generation) { return; }
      setBusy(false);
      if (error.httpStatus === 404) { return start(); }
      conversationId = id; // keep it: the next message continues it once the service answers
      showError(error.message);
    });
  }

  function focusIsFree(origin) {
    var active = document.activeElement;
    return !active || active === document.body || active === origin || active === sendButton || active === input;
  }

  /* Sends {text} or {action}; label is what the voter sees as their own message, typed is the
     field's exact content, put back if the message could not be delivered. */
  function send(payload, label, origin, typed) {
    if (busy) { return; }
    if (!conversationId) {
      // the welcome failed (network); create the conversation first, keep the text
      start().then(function () { if (conversationId) { send(payload, label, origin, typed); } });
      return;
    }
    var mine = generation;
    var isText = typed !== undefined;
    showError("");
    setBusy(true);
    var own = renderMessage("voter", { text: label });
    if (isText) { input.value = ""; }
    reveal(own);
    request("POST", "/conversations/" + encodeURIComponent(conversationId) + "/messages", payload)
      .then(function (data) {
        if (mine !== generation) { return; }
        setLocale(data.locale);
        var first = renderReplies(data.messages);
        known += 1 + (data.messages || []).length;
        setStatus(data.status);
        setBusy(false);
        if (!isText && first && focusIsFree(origin)) {
          first.tabIndex = -1;
          first.focus({ preventScroll: true });
        } else if (isText && focusIsFree(origin)) {
          input.focus();
        }
        reveal(own);
      }, function (error) {
        if (mine !== generation) { return; }
        setBusy(false);
        list.removeChild(own);
        if (isText) {
          input.value = input.value ? typed + " " + input.value : typed;
        }
        if (error.httpStatus === 404) {
          // the conversation is gone (expired or deleted): start again, keep the typed text
          start().then(function () { showError(t.errorExpired); });
          return;
        }
        showError(error.message);
      });
  }

  /* ---- agent hand-off: fetch the helpdesk's answers while a person is involved ---- */
  function stopPoll() {
    if (pollTimer) { window.clearTimeout(pollTimer); pollTimer = null; }
  }

  function schedulePoll() {
    stopPoll();
    if (status === "waiting_agent" || status === "agent") {
      pollTimer = window.setTimeout(poll, POLL_MS);
    }
  }

  function poll() {
    pollTimer = null;
    if (busy || !conversationId) { schedulePoll(); return; }
    var mine = generation;
    request("GET", "/conversations/" + encodeURIComponent(conversationId)).then(function (data) {
      if (mine !== generation || busy) { return; }
      var entries = data.messages || [];
      entries.slice(known).forEach(function (entry) {
        if (entry.from !== "voter") { renderMessage(entry.from, entry); }
      });
      known = Math.max(known, entries.length);
      setLocale(data.locale);
      setStatus(data.status);
    }, function () {
      if (mine === generation) { schedulePoll(); }
    });
  }

  /* ---- events ---- */
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var text = input.value.trim();
    if (!text) {
      showError(t.errorEmpty);
      input.focus();
      return;
    }
    send({ text: text }, text, sendButton, input.value);
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || busy) { return; }
    send({ action: button.dataset.action }, button.textContent, button);
  });

  restartButton.addEventListener("click", function () {
    start();
  });

  // keeps the sticky composer from covering the element that receives focus or is revealed
  function trackComposer() {
    document.documentElement.style.setProperty("--composer-height", composer.offsetHeight + "px");
  }
  if (window.ResizeObserver) { new ResizeObserver(trackComposer).observe(composer); }
  trackComposer();

  var saved = loadId();
  if (saved) { restore(saved); } else { start(); }
})();
