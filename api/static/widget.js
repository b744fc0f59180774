/*
 * 政务助手 web chat widget.
 *
 * Embed with one tag on any page:
 *   <script src="https://assistant.example.gov.cn/widget.js" defer></script>
 * Optional attributes on that tag: data-title="政务助手" (panel title), data-open="true" (open on load).
 *
 * It talks to POST {script origin}/api/v1/chat with {"sender_id", "message"} and renders
 * {"messages": [{"text", "buttons": [{"title", "payload"}], "link"}]}. Everything from the server is put in the
 * page with textContent (never parsed as HTML), inside a shadow root so the portal's styles and ours do not mix.
 * The sender id, the conversation, the large-text choice and whether the panel is open live in localStorage.
 */
(function () {
  "use strict";

  if (window.__zwzsWidgetLoaded) {
    return; // the tag was included twice
  }
  window.__zwzsWidgetLoaded = true;

  var script =
    document.currentScript ||
    (function () {
      var tags = document.querySelectorAll('script[src*="widget.js"]');
      return tags[tags.length - 1];
    })();
  var scriptUrl = new URL(script.src, document.baseURI);
  var BASE = scriptUrl.href.replace(/widget\.js(\?.*)?$/, "");
  var API = BASE + "api/v1/chat";
  var TITLE = script.getAttribute("data-title") || "政务助手";
  var REQUEST_TIMEOUT_MS = 30000;
  var MAX_STORED = 200;

  var KEYS = {
    sender: "zwzs.sender_id",
    log: "zwzs.conversation",
    large: "zwzs.large_text",
    open: "zwzs.open",
  };

  var SAID = /*SAID*/{};

  var TEXT = {
    launcher: "政务助手",
    launcherHint: "打开政务助手，咨询办事问题",
    close: "关闭",
    closeLabel: "关闭政务助手",
    large: "大字",
    largeLabel: "大字模式",
    restart: "重新开始",
    restartLabel: "重新开始对话",
    restartMessage: "重新开始",
    inputLabel: "输入您的问题",
    placeholder: "请输入您的问题，如：身份证丢了怎么办",
    send: "发送",
    options: "可选项",
    link: "打印/查看告知单",
    waiting: "正在查询，请稍候……",
    you: "我",
    bot: "政务助手",
    // the assistant's own sentences: written in from replies.yaml, with the deployment's contacts, when the
    // server serves this file as /widget.js
    welcome: SAID.welcome || "",
    serverError: SAID.serverError || "",
    unreachable: SAID.unreachable || "",
    timeout: SAID.timeout || "",
  };

  // -- storage (localStorage may be unavailable: private browsing, disabled cookies) --------------------------

  var memoryStore = {};
  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return Object.prototype.hasOwnProperty.call(memoryStore, key) ? memoryStore[key] : null;
    }
  }
  function save(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      memoryStore[key] = value;
    }
  }

  function randomId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function senderId() {
    var id = load(KEYS.sender);
    if (!id) {
      id = "web-" + randomId();
      save(KEYS.sender, id);
    }
    return id;
  }

  function loadConversation() {
    try {
      var entries = JSON.parse(load(KEYS.log) || "[]");
      return Array.isArray(entries) ? entries : [];
    } catch (e) {
      return [];
    }
  }

  var conversation = loadConversation(); // [{role: "user"|"bot", text, buttons, link}]

  function remember(entry) {
    conversation.push(entry);
    if (conversation.length > MAX_STORED) {
      conversation = conversation.slice(conversation.length - MAX_STORED);
    }
    save(KEYS.log, JSON.stringify(conversation));
  }

  // -- DOM helpers ----------------------------------------------------------------------------------------------

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function safeLink(link) {
    // only http(s) addresses, relative ones resolved against the assistant's own address
    try {
      var url = new URL(String(link), BASE);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function chatIcon() {
    // drawn, not an emoji: many office and government PCs have no emoji font
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "zwzs-launcher-icon");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("fill-rule", "evenodd");
    svg.appendChild(path);
    return svg;
  }

  // -- build the widget -----------------------------------------------------------------------------------------

  var host = el("div", { id: "zwzs-widget", "data-zwzs": "" });
  var shadow = host.attachShadow({ mode: "open" });
  shadow.appendChild(el("link", { rel: "stylesheet", href: BASE + "widget.css" }));

  var root = el("div", { class: "zwzs-root" });
  var launcher = el("button", {
    type: "button",
    class: "zwzs-launcher",
    "aria-expanded": "false",
    "aria-controls": "zwzs-panel",
    "aria-label": TEXT.launcherHint,
  });
  launcher.appendChild(chatIcon());
  launcher.appendChild(el("span", { class: "zwzs-launcher-text" }, TEXT.launcher));

  var panel = el("section", {
    id: "zwzs-panel",
    class: "zwzs-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "zwzs-title",
    hidden: "",
  });
  var header = el("header", { class: "zwzs-header" });
  header.appendChild(el("h2", { id: "zwzs-title", class: "zwzs-title" }, TITLE));
  var tools = el("div", { class: "zwzs-tools" });
  var largeToggle = el("button", {
    type: "button",
    class: "zwzs-tool zwzs-large-toggle",
    "aria-pressed": "false",
    "aria-label": TEXT.largeLabel,
    title: TEXT.largeLabel,
  }, TEXT.large);
  var restartButton = el("button", {
    type: "button",
    class: "zwzs-tool zwzs-restart",
    "aria-label": TEXT.restartLabel,
    title: TEXT.restartLabel,
  }, TEXT.restart);
  var closeButton = el("button", {
    type: "button",
    class: "zwzs-tool zwzs-close",
    "aria-label": TEXT.closeLabel,
    title: TEXT.closeLabel,
  }, "×");
  tools.appendChild(largeToggle);
  tools.appendChild(restartButton);
  tools.appendChild(closeButton);
  header.appendChild(tools);

  var log = el("div", {
    class: "zwzs-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "对话记录",
    tabindex: "0",
  });

  var form = el("form", { class: "zwzs-form", autocomplete: "off" });
  var input = el("input", {
    id: "zwzs-input",
    class: "zwzs-input",
    type: "text",
    enterkeyhint: "send",
    maxlength: "500",
    placeholder: TEXT.placeholder,
    "aria-label": TEXT.inputLabel,
  });
  var sendButton = el("button", { type: "submit", class: "zwzs-send" }, TEXT.send);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(root);

  // -- rendering ------------------------------------------------------------------------------------------------

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function disableOptions() {
    Array.prototype.forEach.call(log.querySelectorAll(".zwzs-option"), function (button) {
      button.disabled = true;
    });
  }

  function renderEntry(entry, optionsActive) {
    var item = el("div", { class: "zwzs-message zwzs-" + (entry.role === "user" ? "user" : entry.role === "error" ? "error" : "bot") });
    // a hidden speaker name makes the log readable to screen readers
    item.appendChild(el("span", { class: "zwzs-visually-hidden" }, (entry.role === "user" ? TEXT.you : TEXT.bot) + "："));
    if (entry.text) {
      item.appendChild(el("div", { class: "zwzs-text" }, entry.text));
    }
    if (entry.link) {
      var href = safeLink(entry.link);
      if (href) {
        var link = el("a", { class: "zwzs-link", href: href, target: "_blank", rel: "noopener noreferrer" }, TEXT.link);
        item.appendChild(link);
      }
    }
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", { class: "zwzs-options", role: "group", "aria-label": TEXT.options });
      entry.buttons.forEach(function (option) {
        var button = el("button", { type: "button", class: "zwzs-option" }, option.title);
        button.disabled = !optionsActive;
        button.addEventListener("click", function () {
          send(String(option.payload), String(option.title), true);
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    if (entry.role === "error") {
      item.setAttribute("role", "alert");
    }
    log.appendChild(item);
    scrollToEnd();
    return item;
  }

  function renderAll() {
    log.textContent = "";
    renderEntry({ role: "bot", text: TEXT.welcome }, false);
    var lastUser = -1;
    conversation.forEach(function (entry, index) {
      if (entry.role === "user") {
        lastUser = index;
      }
    });
    conversation.forEach(function (entry, index) {
      renderEntry(entry, index > lastUser);
    });
  }

  // -- talking to the server ------------------------------------------------------------------------------------

  var busy = false;

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function showError(text) {
    renderEntry({ role: "error", text: text }, false); // shown, not stored: a reload retries cleanly
  }

  function send(message, shown, fromOption) {
    message = String(message || "").trim();
    if (!message || busy) {
      return;
    }
    if (fromOption) {
      log.focus(); // the picked button is about to be disabled: keep the keyboard inside the panel
    }
    disableOptions();
    var userEntry = { role: "user", text: shown || message };
    remember(userEntry);
    renderEntry(userEntry, false);
    setBusy(true);
    var waiting = renderEntry({ role: "bot", text: TEXT.waiting }, false);
    waiting.classList.add("zwzs-waiting");

    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, REQUEST_TIMEOUT_MS);

    fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ sender_id: senderId(), message: message }),
      signal: controller ? controller.signal : undefined,
      credentials: "omit",
    })
      .then(function (response) {
        if (!response.ok) {
          throw { status: response.status };
        }
        return response.json();
      })
      .then(function (data) {
        var messages = (data && Array.isArray(data.messages)) ? data.messages : [];
        waiting.remove();
        messages.forEach(function (message) {
          var entry = {
            role: "bot",
            text: typeof message.text === "string" ? message.text : "",
            buttons: Array.isArray(message.buttons)
              ? message.buttons
                  .filter(function (b) { return b && b.title; })
                  .map(function (b) { return { title: String(b.title), payload: String(b.payload || b.title) }; })
              : [],
            link: message.link ? String(message.link) : null,
          };
          if (entry.text || entry.buttons.length || entry.link) {
            remember(entry);
            renderEntry(entry, true);
          }
        });
      })
      .catch(function (error) {
        waiting.remove();
        if (error && error.status) {
          showError(TEXT.serverError.replace("{status}", error.status));
        } else if (error && error.name === "AbortError") {
          showError(TEXT.timeout);
        } else {
          showError(TEXT.unreachable);
        }
      })
      .then(function () {
        clearTimeout(timer);
        setBusy(false);
        // focus follows the way the person answered: a picked option leads to the next options, typing to the box
        var nextOption = log.querySelector(".zwzs-option:not([disabled])");
        if (isOpen()) {
          (fromOption && nextOption ? nextOption : input).focus();
        }
      });
  }

  // -- controls -------------------------------------------------------------------------------------------------

  function isOpen() {
    return !panel.hasAttribute("hidden");
  }

  function setOpen(open, moveFocus) {
    if (open) {
      panel.removeAttribute("hidden");
    } else {
      panel.setAttribute("hidden", "");
    }
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("zwzs-is-open", open);
    save(KEYS.open, open ? "1" : "0");
    if (moveFocus) {
      (open ? input : launcher).focus();
    }
    if (open) {
      scrollToEnd();
    }
  }

  function setLarge(large) {
    root.classList.toggle("zwzs-large", large);
    largeToggle.setAttribute("aria-pressed", large ? "true" : "false");
    save(KEYS.large, large ? "1" : "0");
    scrollToEnd();
  }

  launcher.addEventListener("click", function () {
    setOpen(!isOpen(), true);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false, true);
  });
  largeToggle.addEventListener("click", function () {
    setLarge(!root.classList.contains("zwzs-large"));
  });
  restartButton.addEventListener("click", function () {
    if (busy) {
      return;
    }
    conversation = [];
    save(KEYS.log, "[]");
    renderAll();
    send(TEXT.restartMessage);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) {
      return;
    }
    input.value = "";
    send(text);
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      setOpen(false, true);
    }
  });

  function mount() {
    document.body.appendChild(host);
    renderAll();
    setLarge(load(KEYS.large) === "1");
    var startOpen = load(KEYS.open) === "1" || (load(KEYS.open) === null && script.getAttribute("data-open") === "true");
    setOpen(startOpen, false);
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }

  // a small handle for the page (and tests): open, close, send
  window.ZwzsWidget = {
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, true); },
    send: function (text) { send(text); },
  };
})();
