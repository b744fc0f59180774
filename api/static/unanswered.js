// The unanswered-questions queue: search an item for a group, propose the mapping, mark out of scope, undo, and
// (admins) approve or reject proposals. Every POST carries the session's CSRF token; the result is announced in
// the group's live region, and after a change the page reloads with the result in #flash.
(function () {
  "use strict";
  const FLASH = "unanswered-flash";
  const flash = document.getElementById("flash");
  const said = sessionStorage.getItem(FLASH);
  if (said && flash) {
    flash.textContent = said;
    sessionStorage.removeItem(FLASH);
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.CSRF_TOKEN || "" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* an error page */ }
    return { ok: response.ok, status: response.status, data: data };
  }

  function say(box, text, error) {
    const result = box.querySelector(".result");
    if (!result) return;
    result.textContent = text;
    result.classList.toggle("error", !!error);
  }

  function failure(data) {
    const problems = (data.problems || []).join("；");
    return (typeof data.detail === "string" ? data.detail : "操作失败") + (problems ? "：" + problems : "");
  }

  function done(text) {
    sessionStorage.setItem(FLASH, text);
    window.location.reload();
  }

  const base = "/api/v1/unanswered/";
  const messages = {
    out_of_scope: "已标为不属服务范围。",
    reopen: "已撤销决定，问题组重新待处理。",
    reject: "已驳回。",
  };

  async function act(button) {
    const key = button.dataset.key;
    const action = button.dataset.action;
    const box = button.closest(".group, .proposal");
    let body = {};
    if (action === "reject") {
      const note = box.querySelector(".note");
      body = { note: note ? note.value : "" };
    }
    button.disabled = true;
    if (action === "approve") say(box, "正在写入目录并重新加载知识库（可能需要一分钟）……");
    try {
      const { ok, data } = await post(base + encodeURIComponent(key) + "/" + action, body);
      if (!ok) {
        say(box, failure(data), true);
        return;
      }
      if (action === "approve") {
        done("已批准并重新加载，知识库版本 " + data.knowledge_version + "。" +
          (data.answered_now ? "同样的问题现在能回答了。" : "请用同样的问题试一下助手的回答。"));
      } else {
        done(messages[action]);
      }
    } catch (e) {
      say(box, "网络错误，请重试。", true);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-action]");
    if (button) act(button);
  });

  // searching an item: the staff lookup's JSON, as the clerk's search runs it
  let timer = null;
  async function search(form) {
    const query = form.querySelector(".find").value.trim();
    const select = form.querySelector(".item");
    if (!query) return;
    const response = await fetch("/staff/search?limit=20&q=" + encodeURIComponent(query), { credentials: "same-origin" });
    if (!response.ok) return;
    const hits = (await response.json()).data || [];
    select.replaceChildren();
    const first = document.createElement("option");
    first.value = "";
    first.textContent = hits.length ? "找到 " + hits.length + " 个，请选择" : "没有找到，换个说法";
    select.append(first);
    for (const hit of hits) {
      const option = document.createElement("option");
      option.value = hit.id;
      option.textContent = hit.name + (hit.department ? "（" + hit.department + "）" : "");
      select.append(option);
    }
    if (hits.length === 1) select.value = hits[0].id;
  }
  document.addEventListener("input", function (event) {
    if (!event.target.classList.contains("find")) return;
    const form = event.target.closest("form.map");
    clearTimeout(timer);
    timer = setTimeout(function () { search(form); }, 250);
  });

  document.addEventListener("submit", async function (event) {
    const form = event.target.closest("form.map");
    if (!form) return;
    event.preventDefault();
    const box = form.closest(".group");
    const item = form.querySelector(".item").value;
    if (!item) {
      say(box, "请先搜索并选择事项。", true);
      form.querySelector(".find").focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { ok, data } = await post(base + encodeURIComponent(form.dataset.key) + "/map", {
        item_id: item,
        alias: form.querySelector(".alias").value,
      });
      if (!ok) {
        say(box, failure(data), true);
        return;
      }
      done("已提出：为“" + data.proposal.entry_name + "”增加别名“" + data.proposal.aliases.join("、") + "”，等待管理员审核。");
    } catch (e) {
      say(box, "网络错误，请重试。", true);
    } finally {
      button.disabled = false;
    }
  });
})();
