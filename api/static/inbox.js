/*
 * The clerks' handoff inbox (/console/inbox).
 *
 * Lists the handoffs (GET /api/v1/handoffs), shows one conversation (GET /api/v1/handoffs/{id}: the transcript
 * before the handoff and the messages since), claims, replies and releases (POST .../claim, .../reply, .../release
 * with the session's X-CSRF-Token), and stays live with the server-sent events of /api/v1/handoffs/events: a new
 * handoff appears and is announced without a reload, the person's messages appear as they come. When the stream
 * breaks the browser reconnects by itself and the page reloads the list; without EventSource it polls.
 * Everything from the server is put in the page as text (never parsed as HTML).
 */
(function () {
  "use strict";

  var root = document.getElementById("inbox");
  if (!root) {
    return;
  }
  var CSRF = root.getAttribute("data-csrf") || "";
  var ME = root.getAttribute("data-me") || "";
  var API = "/api/v1/handoffs";
  var POLL_MS = 5000;

  var STATUS = { open: "等待中", claimed: "处理中", released: "已结束" };
  var CHANNEL = { web: "网页", wechat: "微信" };
  var AUTHOR = { person: "市民", assistant: "政务助手", system: "系统提示" };
  var REFUSED = {
    claimed_by_other: "该会话已由其他工作人员认领。",
    not_claimed: "请先认领该会话，再回复。",
    released: "该会话已经结束。",
    changed: "该会话刚刚被其他人处理过，已重新载入。",
    not_found: "没有这个会话。",
    empty: "请输入回复内容。",
    wechat_window:
      "该微信用户最后一次留言已超过 48 小时，微信不允许再向其发送消息。请拨打其留下的电话回访，或结束本次人工服务。",
    wechat_refused: "微信未接受这条消息，请稍后重试，或电话回访。",
    wechat_not_configured: "本系统未配置公众号客服消息接口（WECHAT_APPID、WECHAT_SECRET），无法向微信用户发送。",
  };

  var list = document.getElementById("handoff-list");
  var empty = document.getElementById("list-empty");
  var status = document.getElementById("inbox-status");
  var detail = document.getElementById("detail");
  var placeholder = document.getElementById("detail-placeholder");
  var title = document.getElementById("detail-title");
  var facts = document.getElementById("detail-facts");
  var claimButton = document.getElementById("claim");
  var releaseButton = document.getElementById("release");
  var errorBox = document.getElementById("detail-error");
  var transcript = document.getElementById("transcript");
  var messageList = document.getElementById("messages");
  var form = document.getElementById("reply-form");
  var replyBox = document.getElementById("reply");
  var filters = document.querySelectorAll(".inbox-filter .filter");
  var baseTitle = document.title;

  var filter = "";
  var handoffs = []; // the list shown
  var known = {}; // id -> status, to announce new ones
  var unread = {}; // id -> true: a message arrived while another conversation was open
  var current = null; // the conversation shown
  var shownSeqs = {}; // seq -> true, of the messages shown in #messages

  // -- helpers --------------------------------------------------------------------------------------------------

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

  function clock(iso) {
    // Beijing time, as the clerks' desks read it
    try {
      return new Date(iso).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return "";
    }
  }

  function day(iso) {
    try {
      return new Date(iso).toLocaleString("zh-CN", {
        timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
      });
    } catch (e) {
      return "";
    }
  }

  function waited(from, to) {
    var minutes = Math.max(0, Math.round(((to ? new Date(to) : new Date()) - new Date(from)) / 60000));
    return minutes < 60 ? minutes + " 分钟" : Math.floor(minutes / 60) + " 小时 " + (minutes % 60) + " 分钟";
  }

  function request(method, url, body) {
    var options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = CSRF;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(
        function (data) { return { ok: response.ok, status: response.status, data: data }; },
        function () { return { ok: response.ok, status: response.status, data: {} }; }
      );
    });
  }

  function refusal(result) {
    if (result.status === 401) {
      return "登录已过期，请刷新页面重新登录。";
    }
    if (result.status === 403) {
      return "页面已过期或权限不足，请刷新页面后重试。";
    }
    var code = result.data && result.data.code;
    return REFUSED[code] || "操作未成功（错误代码 " + result.status + "）。请稍后重试。";
  }

  function announce(text) {
    status.textContent = text;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  // -- the list -------------------------------------------------------------------------------------------------

  function label(handoff) {
    var parts = ["#" + handoff.id, CHANNEL[handoff.channel] || handoff.channel];
    if (handoff.item_name) {
      parts.push(handoff.item_name);
    }
    return parts.join(" · ");
  }

  function stateText(handoff) {
    if (handoff.status === "claimed") {
      return handoff.claimed_by === ME ? "由我处理" : "由 " + handoff.claimed_by + " 处理";
    }
    return STATUS[handoff.status] || handoff.status;
  }

  function renderList() {
    list.textContent = "";
    handoffs.forEach(function (handoff) {
      var item = el("li", { class: "handoff-row status-" + handoff.status });
      var button = el("button", { type: "button", class: "handoff-item", "data-id": String(handoff.id) });
      if (current && current.id === handoff.id) {
        button.setAttribute("aria-current", "true");
      }
      button.appendChild(el("span", { class: "handoff-name" }, label(handoff)));
      var meta = el("span", { class: "handoff-meta" });
      meta.appendChild(el("span", { class: "badge badge-" + handoff.status }, stateText(handoff)));
      var time = handoff.status === "released"
        ? "结束于 " + day(handoff.closed_at)
        : handoff.status === "claimed" ? "开始于 " + day(handoff.created_at) : "已等待 " + waited(handoff.created_at);
      meta.appendChild(el("span", { class: "handoff-time" }, time));
      if (handoff.after_hours) {
        meta.appendChild(el("span", { class: "badge badge-quiet" }, "非工作时间"));
      }
      if (handoff.has_phone) {
        meta.appendChild(el("span", { class: "badge badge-quiet" }, "已留电话"));
      }
      if (unread[handoff.id]) {
        meta.appendChild(el("span", { class: "badge badge-new" }, "新消息"));
      }
      button.appendChild(meta);
      button.addEventListener("click", function () {
        select(handoff.id, true);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    empty.textContent = filter === "released" ? "最近没有已结束的会话。" : "暂无等待人工服务的会话。新的请求会自动出现在这里。";
    empty.hidden = handoffs.length > 0;
    var waiting = handoffs.filter(function (h) { return h.status === "open"; }).length;
    document.title = (filter === "" && waiting ? "(" + waiting + ") " : "") + baseTitle;
  }

  function loadList(announceNew) {
    return request("GET", API + (filter ? "?status=" + filter : "")).then(function (result) {
      if (!result.ok) {
        announce(refusal(result));
        return;
      }
      handoffs = result.data;
      var fresh = handoffs.filter(function (h) { return h.status === "open" && !known[h.id]; });
      handoffs.forEach(function (h) { known[h.id] = h.status; });
      if (announceNew && fresh.length) {
        announce("新的人工服务请求：" + fresh.map(label).join("，"));
      }
      renderList();
    });
  }

  filters.forEach(function (button) {
    button.addEventListener("click", function () {
      filter = button.getAttribute("data-status");
      filters.forEach(function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      loadList(false);
    });
  });

  // -- one conversation -----------------------------------------------------------------------------------------

  function speaker(message) {
    if (message.author === "clerk") {
      return "工作人员 " + (message.clerk || "");
    }
    return AUTHOR[message.author] || message.author;
  }

  function messageItem(message, at) {
    var item = el("li", { class: "said said-" + message.author });
    var head = el("span", { class: "said-who" }, speaker(message) + "：");
    item.appendChild(head);
    item.appendChild(el("span", { class: "said-text" }, message.text));
    item.appendChild(el("span", { class: "said-time" }, clock(at)));
    return item;
  }

  function addFact(name, value) {
    facts.appendChild(el("dt", {}, name));
    facts.appendChild(el("dd", {}, value));
  }

  function renderDetail() {
    var handoff = current;
    placeholder.hidden = true;
    detail.hidden = false;
    title.textContent = "会话 " + label(handoff);
    facts.textContent = "";
    addFact("状态", stateText(handoff));
    addFact("开始", day(handoff.created_at) + (handoff.status === "open" ? "（已等待 " + waited(handoff.created_at) + "）" : ""));
    if (handoff.item_name || handoff.item_id) {
      addFact("咨询事项", handoff.item_name || handoff.item_id);
    }
    if (handoff.after_hours) {
      addFact("时间", "非工作时间提出");
    }
    if (handoff.phone) {
      var dd = el("dd", {});
      dd.appendChild(el("a", { href: "tel:" + handoff.phone.replace(/[^0-9]/g, ""), class: "tel" }, handoff.phone));
      facts.appendChild(el("dt", {}, "回电电话"));
      facts.appendChild(dd);
    } else if (handoff.has_phone) {
      addFact("回电电话", "已留电话（认领后可见）");
    }
    var mine = handoff.status === "claimed" && handoff.claimed_by === ME;
    claimButton.hidden = handoff.status !== "open";
    releaseButton.hidden = handoff.status === "released" || (handoff.status === "claimed" && !mine);
    form.hidden = !mine;
    transcript.textContent = "";
    (handoff.transcript || []).forEach(function (entry) {
      transcript.appendChild(messageItem(entry, entry.at));
    });
    if (!transcript.children.length) {
      transcript.appendChild(el("li", { class: "said said-system" }, "（没有此前的对话）"));
    }
    messageList.textContent = "";
    shownSeqs = {};
    (handoff.messages || []).forEach(appendMessage);
  }

  function appendMessage(message) {
    if (shownSeqs[message.seq]) {
      return;
    }
    shownSeqs[message.seq] = true;
    messageList.appendChild(messageItem(message, message.created_at));
    messageList.lastChild.scrollIntoView({ block: "nearest" });
  }

  function select(id, moveFocus) {
    showError("");
    return request("GET", API + "/" + id).then(function (result) {
      if (!result.ok) {
        showError(refusal(result));
        return;
      }
      current = result.data;
      delete unread[id];
      renderDetail();
      renderList();
      if (moveFocus) {
        title.focus();
      }
    });
  }

  function act(action, body) {
    showError("");
    return request("POST", API + "/" + current.id + "/" + action, body);
  }

  claimButton.addEventListener("click", function () {
    act("claim").then(function (result) {
      if (!result.ok) {
        showError(refusal(result));
        select(current.id, false);
        return;
      }
      current = result.data;
      renderDetail();
      loadList(false);
      announce("已认领会话 #" + current.id + "，可以回复了。");
      replyBox.focus();
    });
  });

  releaseButton.addEventListener("click", function () {
    act("release").then(function (result) {
      if (!result.ok) {
        showError(refusal(result));
        return;
      }
      announce("会话 #" + current.id + " 已结束，已交还政务助手。");
      select(current.id, false);
      loadList(false);
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = replyBox.value.trim();
    if (!text) {
      showError(REFUSED.empty);
      replyBox.focus();
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    act("reply", { text: text }).then(function (result) {
      button.disabled = false;
      if (!result.ok) {
        showError(refusal(result));
        return;
      }
      replyBox.value = "";
      appendMessage(result.data);
      replyBox.focus();
    }, function () {
      button.disabled = false;
      showError("无法连接服务器，回复未发送。");
    });
  });

  replyBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  // -- live -----------------------------------------------------------------------------------------------------

  function onHandoff(summary) {
    var isNew = summary.status === "open" && !known[summary.id];
    known[summary.id] = summary.status;
    if (isNew) {
      announce("新的人工服务请求：" + label(summary));
    }
    if (current && current.id === summary.id) {
      var keep = { transcript: current.transcript, messages: current.messages };
      current = Object.assign({}, current, summary, keep);
      renderDetail();
    }
    loadList(false);
  }

  function onMessage(message) {
    if (current && message.handoff_id === current.id) {
      current.messages = (current.messages || []).concat([message]);
      appendMessage(message);
    } else if (message.author === "person") {
      unread[message.handoff_id] = true;
      renderList();
    }
  }

  function listen() {
    if (!window.EventSource) {
      setInterval(function () { loadList(true); }, POLL_MS);
      return;
    }
    var source = new EventSource(API + "/events");
    source.addEventListener("open", function () {
      // (re)connected: whatever changed while away is in the list and the conversation
      announce("");
      loadList(true);
      if (current) {
        select(current.id, false);
      }
    });
    source.addEventListener("handoff", function (event) {
      onHandoff(JSON.parse(event.data));
    });
    source.addEventListener("message", function (event) {
      onMessage(JSON.parse(event.data));
    });
    source.addEventListener("error", function () {
      announce("实时连接中断，正在重新连接……");
    });
  }

  loadList(false).then(listen);
  setInterval(function () {
    if (filter === "") {
      renderList(); // the waiting times move on
    }
  }, 60000);
})();
