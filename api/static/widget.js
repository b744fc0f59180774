/*
 * 政务助手 web chat widget.
 *
 * Embed with one tag on any page:
 *   <script src="https://assistant.example.gov.cn/widget.js" defer></script>
 * Optional attributes on that tag: data-title="政务助手" (panel title), data-open="true" (open on load).
 *
 * It talks to POST {script origin}/api/v1/chat with {"sender_id", "message"} and renders
 * {"sender_id", "messages": [{"text", "buttons": [{"title", "payload"}], "link"}]}. The sender id is the server's:
 * none is sent with the first message, and the one each answer carries is kept and sent with the next (an id the
 * server did not sign, such as one an earlier version of this widget made up, is answered with a new one).
 * Everything from the server is put in the page as text nodes (never parsed as HTML; phone numbers in the
 * assistant's text become tel: links built as elements), inside a shadow root so the portal's styles and ours do
 * not mix. The sender id, the conversation, the large-text choice and whether the panel is open live in
 * localStorage.
 *
 * 好差评: under each answer, 告知单 or refusal the server marks `rateable` (it has a `message_id`), 满意 / 不满意;
 * 不满意 opens the reasons (没回答我的问题 / 信息有误 / 看不懂 / 其他) and a comment box. The rating goes to
 * POST {script origin}/api/v1/feedback {"sender_id", "message_id", "rating", "reason", "text"} and is kept with
 * the conversation, so a reload shows 感谢您的评价 rather than the buttons again.
 *
 * 转人工 (the button or the words) hands the conversation to staff: the widget then listens to
 * GET {script origin}/api/v1/chat/events?sender_id=…&after=… (server-sent events; GET /api/v1/chat/messages polled
 * every few seconds where a stream fails) and shows each clerk's reply as it comes, headed "工作人员 <name>：",
 * until the clerk hands the conversation back to the assistant.
 *
 * Accessible and elderly-friendly (WCAG 2.1 AA, the 适老化 rules for public services): contrast >= 4.5:1, tap
 * targets >= 44 px (>= 60 px and 20 px text in the 大字 mode), the panel reflows down to 320 px and at 200 %
 * zoom, a visible 转人工 button, and "重新开始" restarts the conversation on the server too (Rasa's /restart).
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
    after: "zwzs.after", // the last pushed message seen (a clerk's reply): the stream goes on after it
    handoff: "zwzs.handoff", // "1" while the conversation is with staff: the widget listens for their replies
  };

  var SAID = /*SAID*/{};

  var TEXT = {
    launcher: "政务助手",
    launcherHint: "打开政务助手，咨询办事问题",
    close: "关闭",
    closeLabel: "关闭政务助手",
    human: "转人工",
    humanLabel: "转人工服务",
    humanMessage: "转人工",
    large: "大字",
    largeLabel: "大字模式",
    restart: "重新开始",
    restartLabel: "重新开始对话",
    restartPayload: "/restart", // Rasa's own restart: the server forgets the conversation (checklist included)
    inputLabel: "输入您的问题",
    placeholder: "请输入您的问题", // the examples are in the welcome: a long placeholder is cut on a phone
    send: "发送",
    options: "可选项",
    link: "查看/打印完整告知单",
    newWindow: "（在新窗口打开）",
    call: "拨打电话 ",
    waiting: "正在查询，请稍候……",
    you: "我",
    bot: "政务助手",
    clerk: "工作人员", // before a clerk's reply, with their name: 工作人员 wang：
    system: "提示",
    // the assistant's own sentences: written in from replies.yaml, with the deployment's contacts, when the
    // server serves this file as /widget.js
    welcome: SAID.welcome || "",
    serverError: SAID.serverError || "",
    unreachable: SAID.unreachable || "",
    timeout: SAID.timeout || "",
    hotline: SAID.hotline || "", // the deployment's own hotline (a city's 96196): linked wherever it is named
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

  function chatRequest(message) {
    // the id the server issued with its last answer; none before the first answer (the server issues one then)
    var id = load(KEYS.sender);
    return id ? { sender_id: id, message: message } : { message: message };
  }

  function keepSenderId(data) {
    // the server's id for this conversation: a new one when it did not sign the one sent
    if (data && typeof data.sender_id === "string" && data.sender_id && data.sender_id !== load(KEYS.sender)) {
      save(KEYS.sender, data.sender_id);
    }
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

  // Phone numbers in the assistant's text, to tap and call: the deployment's hotline, the national service
  // hotlines (12345, 12315 …), landlines with their area code (010-12345678, 0755 1234 5678, （0755）12345678),
  // 400/800 numbers and mobiles. Group 1 is the character before (no lookbehind: older Safari cannot parse it),
  // group 2 the number.
  var NUMBERS = "(?:[(（]0\\d{2,3}[)）] ?|0\\d{2,3}[- ]?)\\d{3,4}[- ]?\\d{4}|[48]00[- ]?\\d{3}[- ]?\\d{4}|1[3-9]\\d{9}|123\\d\\d";
  // the hotline is digits, spaces and dashes (checked): nothing in it to escape
  var ownHotline = /^[0-9][0-9 -]{1,18}[0-9]$/.test(TEXT.hotline) ? TEXT.hotline + "|" : "";
  var PHONE = new RegExp("(^|[^0-9A-Za-z-])(" + ownHotline + NUMBERS + ")(?![0-9A-Za-z])", "g");

  function appendText(container, text, withPhones) {
    // text nodes and, for the assistant's own text, <a href="tel:..."> around phone numbers: never markup
    var last = 0;
    var match;
    PHONE.lastIndex = 0;
    while (withPhones && (match = PHONE.exec(text)) !== null) {
      var start = match.index + match[1].length;
      var number = match[2];
      if (start > last) {
        container.appendChild(document.createTextNode(text.slice(last, start)));
      }
      container.appendChild(
        el("a", { class: "zwzs-tel", href: "tel:" + number.replace(/[^0-9]/g, ""), "aria-label": TEXT.call + number }, number)
      );
      last = start + number.length;
    }
    if (last < text.length) {
      container.appendChild(document.createTextNode(text.slice(last)));
    }
    return container;
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
  var stylesheet = el("link", { rel: "stylesheet", href: BASE + "widget.css" });
  shadow.appendChild(stylesheet);

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
  var humanButton = el("button", {
    type: "button",
    class: "zwzs-tool zwzs-human",
    "aria-label": TEXT.humanLabel,
    title: TEXT.humanLabel,
  }, TEXT.human);
  var closeButton = el("button", {
    type: "button",
    class: "zwzs-tool zwzs-close",
    "aria-label": TEXT.closeLabel,
    title: TEXT.closeLabel,
  }, TEXT.close);
  tools.appendChild(largeToggle);
  tools.appendChild(restartButton);
  tools.appendChild(humanButton);
  header.appendChild(tools); // on a phone: a second row below the title and 关闭
  header.appendChild(closeButton);

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

  function latestReply() {
    // the first message after the person's last one: the start of the latest answer (or the welcome)
    var items = log.querySelectorAll(".zwzs-message");
    var first = null;
    for (var i = items.length - 1; i >= 0 && !items[i].classList.contains("zwzs-user"); i--) {
      first = items[i];
    }
    return first;
  }

  function showLatest() {
    // The start of the latest answer at the top of the log, not its end: a long 告知单 opens on its materials,
    // not on 权利与救济. An answer that fits ends up at the bottom, as the log cannot scroll past its end.
    var first = latestReply();
    if (!first) {
      log.scrollTop = log.scrollHeight;
      return;
    }
    var air = 12; // the log's padding: the answer does not touch the header
    log.scrollTop += first.getBoundingClientRect().top - log.getBoundingClientRect().top - air;
  }

  function disableOptions() {
    Array.prototype.forEach.call(log.querySelectorAll(".zwzs-option"), function (button) {
      button.disabled = true;
    });
  }

  // -- 好差评: 满意 / 不满意 under a rateable message, the choice kept with the conversation ----------------------

  var FEEDBACK_API = BASE + "api/v1/feedback";
  var RATE = {
    group: "评价这条回答",
    good: "满意",
    bad: "不满意",
    reasons: "请问哪里不满意？",
    reasonList: [
      ["not_answered", "没回答我的问题"],
      ["wrong", "信息有误"],
      ["unclear", "看不懂"],
      ["other", "其他"],
    ],
    comment: "补充说明（选填）",
    submit: "提交",
    pick: "请选择一个原因，再点“提交”。",
    failed: "评价未能提交，请稍后再试。",
    thanks: "感谢您的评价",
  };
  var ratingForms = 0; // each reasons form's own ids (labels, aria-controls)

  function reasonName(key) {
    for (var i = 0; i < RATE.reasonList.length; i++) {
      if (RATE.reasonList[i][0] === key) {
        return RATE.reasonList[i][1];
      }
    }
    return "";
  }

  function showThanks(block, rated, moveFocus) {
    block.textContent = "";
    var choice = rated.rating === "good" ? RATE.good : RATE.bad + (rated.reason ? "：" + reasonName(rated.reason) : "");
    var note = el("p", { class: "zwzs-thanks", tabindex: "-1" }, RATE.thanks + "（" + choice + "）");
    block.appendChild(note);
    if (moveFocus) {
      note.focus({ preventScroll: true }); // the button pressed is gone: the keyboard stays here
    }
  }

  function submitRating(entry, block, rating, reason, comment, problem) {
    var controls = block.querySelectorAll("button, input, textarea");
    Array.prototype.forEach.call(controls, function (control) {
      control.disabled = true;
    });
    problem.textContent = "";
    fetch(FEEDBACK_API, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        sender_id: load(KEYS.sender),
        message_id: entry.message_id,
        rating: rating,
        reason: reason,
        text: comment || null,
      }),
      credentials: "omit",
    })
      .then(function (response) {
        if (!response.ok) {
          throw { status: response.status };
        }
        entry.rating = { rating: rating, reason: reason };
        save(KEYS.log, JSON.stringify(conversation)); // a reload shows the thanks, not the buttons
        showThanks(block, entry.rating, true);
      })
      .catch(function () {
        Array.prototype.forEach.call(controls, function (control) {
          control.disabled = false;
        });
        problem.textContent = RATE.failed;
      });
  }

  function ratingBlock(entry) {
    var block = el("div", { class: "zwzs-rating", role: "group", "aria-label": RATE.group });
    if (entry.rating) {
      showThanks(block, entry.rating, false);
      return block;
    }
    var n = ++ratingForms;
    var buttons = el("div", { class: "zwzs-rate-buttons" });
    var good = el("button", { type: "button", class: "zwzs-rate zwzs-rate-good" }, RATE.good);
    var bad = el("button", {
      type: "button",
      class: "zwzs-rate zwzs-rate-bad",
      "aria-expanded": "false",
      "aria-controls": "zwzs-reasons-" + n,
    }, RATE.bad);
    buttons.appendChild(good);
    buttons.appendChild(bad);
    block.appendChild(buttons);

    var form = el("form", { class: "zwzs-reasons", id: "zwzs-reasons-" + n, hidden: "" });
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", {}, RATE.reasons));
    RATE.reasonList.forEach(function (reason, i) {
      var id = "zwzs-reason-" + n + "-" + i;
      var label = el("label", { class: "zwzs-reason", for: id });
      label.appendChild(el("input", { type: "radio", id: id, name: "zwzs-reason-" + n, value: reason[0] }));
      label.appendChild(el("span", {}, reason[1]));
      fieldset.appendChild(label);
    });
    form.appendChild(fieldset);
    var commentId = "zwzs-comment-" + n;
    form.appendChild(el("label", { class: "zwzs-comment-label", for: commentId }, RATE.comment));
    var comment = el("textarea", { id: commentId, class: "zwzs-comment", rows: "2", maxlength: "500" });
    form.appendChild(comment);
    form.appendChild(el("button", { type: "submit", class: "zwzs-rate-submit" }, RATE.submit));
    var problem = el("p", { class: "zwzs-rate-problem", role: "alert" });
    block.appendChild(form);
    block.appendChild(problem);

    good.addEventListener("click", function () {
      submitRating(entry, block, "good", null, "", problem);
    });
    bad.addEventListener("click", function () {
      var opening = form.hasAttribute("hidden");
      if (opening) {
        form.removeAttribute("hidden");
      } else {
        form.setAttribute("hidden", "");
      }
      bad.setAttribute("aria-expanded", opening ? "true" : "false");
      if (opening) {
        fieldset.querySelector("input").focus();
      }
    });
    form.addEventListener("change", function () {
      problem.textContent = ""; // a reason picked: the request for one is answered
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var picked = form.querySelector("input:checked");
      if (!picked) {
        problem.textContent = RATE.pick;
        fieldset.querySelector("input").focus();
        return;
      }
      submitRating(entry, block, "bad", picked.value, comment.value.trim(), problem);
    });
    return block;
  }

  function renderEntry(entry, optionsActive) {
    var staff = entry.role === "clerk" || entry.role === "system"; // a handoff's: a clerk's reply, or a note
    var kind = entry.role === "user" ? "user" : entry.role === "error" ? "error" : "bot";
    var item = el("div", { class: "zwzs-message zwzs-" + kind + (staff ? " zwzs-" + entry.role : "") });
    if (entry.role === "clerk") {
      // a person answers now, not the assistant: said in words, not only by the bubble's colour
      item.appendChild(el("span", { class: "zwzs-speaker" }, TEXT.clerk + (entry.clerk ? " " + entry.clerk : "") + "："));
    } else {
      // a hidden speaker name makes the log readable to screen readers
      var who = entry.role === "user" ? TEXT.you : entry.role === "system" ? TEXT.system : TEXT.bot;
      item.appendChild(el("span", { class: "zwzs-visually-hidden" }, who + "："));
    }
    if (entry.text) {
      item.appendChild(appendText(el("div", { class: "zwzs-text" }), String(entry.text), entry.role !== "user"));
    }
    if (entry.link) {
      var href = safeLink(entry.link);
      if (href) {
        var link = el("a", { class: "zwzs-link", href: href, target: "_blank", rel: "noopener noreferrer" }, TEXT.link);
        link.appendChild(el("span", { class: "zwzs-visually-hidden" }, TEXT.newWindow));
        item.appendChild(link);
      }
    }
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", { class: "zwzs-options", role: "group", "aria-label": TEXT.options });
      entry.buttons.forEach(function (option) {
        var button = el("button", { type: "button", class: "zwzs-option" }, option.title);
        button.disabled = !optionsActive;
        button.addEventListener("click", function () {
          send(String(option.payload), { shown: String(option.title), fromOption: true });
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    if (entry.role === "bot" && entry.message_id && entry.rateable) {
      item.appendChild(ratingBlock(entry));
    }
    if (entry.role === "error") {
      item.setAttribute("role", "alert");
    }
    log.appendChild(item);
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
    showLatest();
  }

  // -- talking to the server ------------------------------------------------------------------------------------

  var busy = false;
  var generation = 0; // a restart starts a new one: answers to an older request are dropped
  var inFlight = null; // the AbortController of the request on its way

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function showError(text) {
    renderEntry({ role: "error", text: text }, false); // shown, not stored: a reload retries cleanly
    showLatest();
  }

  function readMessage(message) {
    return {
      role: message.author === "clerk" || message.author === "system" ? message.author : "bot",
      clerk: typeof message.clerk === "string" ? message.clerk : null,
      text: typeof message.text === "string" ? message.text : "",
      buttons: Array.isArray(message.buttons)
        ? message.buttons
            .filter(function (b) { return b && b.title; })
            .map(function (b) { return { title: String(b.title), payload: String(b.payload || b.title) }; })
        : [],
      link: message.link ? String(message.link) : null,
      message_id: typeof message.message_id === "string" && message.message_id ? message.message_id : null,
      rateable: message.rateable === true,
    };
  }

  /*
   * Send one message. options.shown: what the person's bubble says (a button's title rather than its payload);
   * options.fromOption: sent by an option button (focus moves to the next options); options.silent: no bubble,
   * nothing stored, the answer not shown (the restart, after which the welcome is shown).
   */
  function send(message, options) {
    options = options || {};
    message = String(message || "").trim();
    if (!message || busy) {
      return false;
    }
    if (options.fromOption) {
      log.focus(); // the picked button is about to be disabled: keep the keyboard inside the panel
    }
    disableOptions();
    var waiting = null;
    if (!options.silent) {
      var userEntry = { role: "user", text: options.shown || message };
      remember(userEntry);
      renderEntry(userEntry, false);
      waiting = renderEntry({ role: "bot", text: TEXT.waiting }, false);
      waiting.classList.add("zwzs-waiting");
      showLatest();
    }
    setBusy(true);
    var turn = generation;

    var controller = window.AbortController ? new AbortController() : null;
    inFlight = controller;
    var timer = setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, REQUEST_TIMEOUT_MS);

    fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(chatRequest(message)),
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
        keepSenderId(data); // whatever became of the turn, the conversation is the server's one now
        if (turn !== generation) {
          return; // restarted meanwhile
        }
        if (waiting) {
          waiting.remove();
        }
        if (options.silent) {
          return;
        }
        var messages = data && Array.isArray(data.messages) ? data.messages : [];
        messages.forEach(function (message) {
          var entry = readMessage(message || {});
          if (entry.text || entry.buttons.length || entry.link) {
            remember(entry);
            renderEntry(entry, true);
          }
          if (entry.role === "system" || entry.role === "clerk") {
            followHandoff(); // handed to staff: their replies come without a request
          }
        });
        showLatest(); // the start of the first new message at the top of the log
      })
      .catch(function (error) {
        if (turn !== generation) {
          return;
        }
        if (waiting) {
          waiting.remove();
        }
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
        if (turn !== generation) {
          return; // the restart owns the busy state now
        }
        inFlight = null;
        setBusy(false);
        // focus follows the way the person answered: a picked option leads to the next options, typing to the box
        var nextOption = log.querySelector(".zwzs-option:not([disabled])");
        if (isOpen()) {
          (options.fromOption && nextOption ? nextOption : input).focus({ preventScroll: true });
        }
      });
    return true;
  }

  // -- human handoff: a clerk's replies, pushed (server-sent events) or, where a stream fails, polled ----------

  var EVENTS = BASE + "api/v1/chat/events";
  var PUSHED = BASE + "api/v1/chat/messages";
  var POLL_MS = 3000;
  var stream = null; // the EventSource while listening
  var pollTimer = null;

  function lastSeq() {
    var seq = parseInt(load(KEYS.after) || "0", 10);
    return isNaN(seq) ? 0 : seq;
  }

  function pushedUrl(base) {
    return base + "?sender_id=" + encodeURIComponent(load(KEYS.sender) || "") + "&after=" + lastSeq();
  }

  function seen(message) {
    if (typeof message.seq === "number" && message.seq > lastSeq()) {
      save(KEYS.after, String(message.seq));
    }
  }

  function showPushed(message) {
    seen(message);
    var shown = conversation.some(function (entry) { return entry.message_id && entry.message_id === message.message_id; });
    var entry = readMessage(message || {});
    if (shown || !entry.text) {
      return;
    }
    remember(entry);
    renderEntry(entry, false);
    showLatest();
  }

  function poll() {
    pollTimer = null;
    fetch(pushedUrl(PUSHED), { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) {
          throw { status: response.status };
        }
        return response.json();
      })
      .then(function (data) {
        (Array.isArray(data.messages) ? data.messages : []).forEach(showPushed);
        if (data.handoff) {
          schedulePoll();
        } else {
          stopFollowing();
        }
      })
      .catch(function (error) {
        if (error && error.status >= 400 && error.status < 500) {
          stopFollowing(); // not a conversation this server knows: nothing will come
        } else {
          schedulePoll();
        }
      });
  }

  function schedulePoll() {
    if (load(KEYS.handoff) === "1" && !pollTimer) {
      pollTimer = setTimeout(poll, POLL_MS);
    }
  }

  function followHandoff() {
    if (!load(KEYS.sender)) {
      return;
    }
    save(KEYS.handoff, "1");
    if (stream || pollTimer) {
      return;
    }
    if (!window.EventSource) {
      schedulePoll();
      return;
    }
    stream = new EventSource(pushedUrl(EVENTS));
    stream.addEventListener("message", function (event) {
      try {
        showPushed(JSON.parse(event.data));
      } catch (e) {
        // not ours: ignored
      }
    });
    stream.addEventListener("handoff", function (event) {
      try {
        if (!JSON.parse(event.data).status) {
          stopFollowing(); // back with the assistant: its answers come as answers again
        }
      } catch (e) {
        // not ours: ignored
      }
    });
    stream.addEventListener("error", function () {
      if (stream && stream.readyState === 2) {
        // closed for good (refused, or a proxy that cannot stream): ask every few seconds instead
        stream = null;
        schedulePoll();
      }
    });
  }

  function stopFollowing() {
    save(KEYS.handoff, "0");
    if (stream) {
      stream.close();
      stream = null;
    }
    if (pollTimer) {
      clearTimeout(pollTimer);
      pollTimer = null;
    }
  }

  function skipPushed() {
    // a new conversation does not replay the clerks' replies of the old one
    if (!load(KEYS.sender)) {
      return;
    }
    fetch(pushedUrl(PUSHED), { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : { messages: [] }; })
      .then(function (data) { (Array.isArray(data.messages) ? data.messages : []).forEach(seen); })
      .catch(function () {});
  }

  function restart() {
    // a new conversation here and on the server: what is on its way is dropped, the log cleared, the welcome
    // shown again, and Rasa told to forget the old one (a checklist half answered included); a handoff ends
    stopFollowing();
    skipPushed();
    generation += 1;
    if (inFlight) {
      inFlight.abort();
      inFlight = null;
    }
    setBusy(false);
    conversation = [];
    save(KEYS.log, "[]");
    renderAll();
    send(TEXT.restartPayload, { silent: true });
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
      (open ? input : launcher).focus({ preventScroll: true });
    }
    if (open) {
      showLatest();
    }
  }

  function setLarge(large) {
    root.classList.toggle("zwzs-large", large);
    largeToggle.setAttribute("aria-pressed", large ? "true" : "false");
    save(KEYS.large, large ? "1" : "0");
    showLatest();
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
    restart();
    input.focus({ preventScroll: true });
  });
  humanButton.addEventListener("click", function () {
    send(TEXT.humanMessage);
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
    stylesheet.addEventListener("load", function () {
      showLatest(); // laid out again once styled: the latest answer's start stays in view
    });
    document.body.appendChild(host);
    renderAll();
    setLarge(load(KEYS.large) === "1");
    var startOpen = load(KEYS.open) === "1" || (load(KEYS.open) === null && script.getAttribute("data-open") === "true");
    setOpen(startOpen, false);
    if (load(KEYS.handoff) === "1") {
      followHandoff(); // still with staff after a reload
    }
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }

  // a small handle for the page (and tests): open, close, send, restart
  window.ZwzsWidget = {
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, true); },
    send: function (text) { send(text); },
    restart: function () { restart(); },
  };
})();
