/*
 * Window-staff lookup: search as you type (/staff) and the scenario wizard (/staff/items/{id}).
 * Every piece of data is put in the page with textContent, never as markup.
 */
(function () {
  "use strict";

  /** Create an element with attributes and text (text via textContent only). */
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([name, value]) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function itemHref(id) {
    return "/staff/items/" + encodeURIComponent(id);
  }

  /** The message of an error response (our API answers {"detail": "..."}). */
  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
    } catch (_) {
      /* not JSON */
    }
    return "请求失败（" + response.status + "）";
  }

  /* ---------------------------------------------------------------- search */

  function initSearch(form) {
    const input = form.querySelector("#q");
    const department = form.querySelector("#department");
    const results = document.getElementById("results");
    const status = document.getElementById("status");
    const api = form.dataset.api;
    const limit = form.dataset.limit || "50";
    let timer = null;
    let controller = null;

    function links() {
      return Array.from(results.querySelectorAll("a"));
    }

    function render(body) {
      results.replaceChildren();
      body.data.forEach(function (hit) {
        const link = el("a", { href: itemHref(hit.id) });
        link.append(el("span", { class: "name" }, hit.name));
        if (hit.kind === "bundle") link.append(el("span", { class: "badge" }, "一件事"));
        link.append(el("span", { class: "department" }, hit.department));
        const li = el("li");
        li.append(link);
        results.append(li);
      });
      if (!body.count) {
        status.textContent = "没有找到匹配的事项，请换个说法或拼音首字母。";
      } else if (body.count > body.data.length) {
        status.textContent = "共 " + body.count + " 项，显示前 " + body.data.length + " 项";
      } else {
        status.textContent = "共 " + body.count + " 项";
      }
    }

    async function search() {
      const params = new URLSearchParams();
      if (input.value.trim()) params.set("q", input.value.trim());
      if (department.value) params.set("department", department.value);
      history.replaceState(null, "", "/staff" + (params.toString() ? "?" + params : ""));
      params.set("limit", limit);
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(api + "?" + params, {
          headers: { Accept: "application/json" },
          signal: controller.signal,
        });
        if (!response.ok) {
          status.textContent = await errorMessage(response);
          return;
        }
        render(await response.json());
      } catch (error) {
        if (error.name !== "AbortError") status.textContent = "查询失败，请检查网络后重试。";
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    department.addEventListener("change", search);

    form.addEventListener("submit", function (event) {
      // Enter opens the best match: the commonest use at the counter
      event.preventDefault();
      clearTimeout(timer);
      const first = links()[0];
      if (first && input.value.trim()) {
        window.location.href = first.href;
      } else {
        search();
      }
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        const first = links()[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });

    results.addEventListener("keydown", function (event) {
      const all = links();
      const index = all.indexOf(document.activeElement);
      if (index < 0) return;
      if (event.key === "ArrowDown" && index < all.length - 1) {
        event.preventDefault();
        all[index + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (index > 0 ? all[index - 1] : input).focus();
      } else if (event.key === "Home") {
        event.preventDefault();
        all[0].focus();
      } else if (event.key === "End") {
        event.preventDefault();
        all[all.length - 1].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        input.focus();
      }
    });

    document.addEventListener("keydown", function (event) {
      const tag = (event.target.tagName || "").toLowerCase();
      if (event.key === "/" && !["input", "textarea", "select"].includes(tag)) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  /* ---------------------------------------------------------------- wizard */

  function initWizard(section) {
    const api = section.dataset.api;
    const answersList = document.getElementById("wizard-answers");
    const form = document.getElementById("wizard-form");
    const legend = document.getElementById("wizard-question");
    const optionsBox = document.getElementById("wizard-options");
    const result = document.getElementById("wizard-result");
    const errorBox = document.getElementById("wizard-error");
    const restart = document.getElementById("wizard-restart");
    const printLink = document.getElementById("wizard-print");
    let answers = {};
    let order = []; // question ids in the order they were answered
    let current = null; // the pending question on screen

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = !message;
    }

    async function load() {
      showError("");
      try {
        const response = await fetch(api, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ answers: answers }),
        });
        if (!response.ok) {
          showError(await errorMessage(response));
          return;
        }
        render(await response.json());
      } catch (_) {
        showError("无法生成告知单，请检查网络后重试。");
      }
    }

    function forget(questionId) {
      // changing an answer drops it and every later one: follow-ups may no longer apply
      const at = order.indexOf(questionId);
      order.slice(at).forEach(function (id) {
        delete answers[id];
      });
      order = order.slice(0, at);
      load();
    }

    function renderAnswers(notice) {
      answersList.replaceChildren();
      notice.answers.forEach(function (shown) {
        const li = el("li");
        li.append(el("span", { class: "question" }, shown.question));
        li.append(el("strong", {}, shown.answer));
        const change = el("button", { type: "button", class: "link-button" }, "修改");
        change.setAttribute("aria-label", "修改：" + shown.question);
        change.addEventListener("click", function () {
          forget(shown.question_id);
        });
        li.append(change);
        answersList.append(li);
      });
    }

    function renderQuestion(question) {
      current = question;
      if (!question) {
        form.hidden = true;
        return;
      }
      legend.textContent = question.text + (question.multiple ? "（可多选）" : "");
      optionsBox.replaceChildren();
      question.options.forEach(function (option, n) {
        const id = "wizard-option-" + n;
        const label = el("label", { for: id });
        const box = el("input", {
          type: question.multiple ? "checkbox" : "radio",
          name: "wizard-option",
          id: id,
          value: option.id,
        });
        label.append(box, document.createTextNode(" " + option.label));
        optionsBox.append(label);
      });
      form.hidden = false;
      const first = optionsBox.querySelector("input");
      // move focus only once the user has started answering: on page load it stays at the top
      if (first && order.length) first.focus();
    }

    function renderNotice(notice) {
      result.replaceChildren();
      const complete = notice.pending.length === 0;
      const heading = el(
        "h3",
        { tabindex: "-1" },
        complete ? "一次性告知单" : "目前已确定的内容（还有 " + notice.pending.length + " 个问题）"
      );
      result.append(heading);
      result.append(el("h4", {}, "申请材料（共" + notice.materials.length + "项）"));
      const materials = el("ol", { class: "notice-materials" });
      notice.materials.forEach(function (m) {
        const parts = [m.form || "原件/复印件未说明", m.medium, m.copies + "份"];
        if (!m.required) parts.push("非必需");
        const li = el("li");
        li.append(el("strong", {}, m.name));
        li.append(document.createTextNode("（" + parts.join("，") + "）"));
        if (m.notes) li.append(el("span", { class: "note" }, m.notes));
        if (notice.kind === "bundle" && m.purposes.length) {
          li.append(el("span", { class: "note" }, "用于：" + m.purposes.join("、")));
        }
        materials.append(li);
      });
      result.append(materials);
      const facts = el("dl", { class: "facts" });
      [
        ["办理时限", notice.time_limit],
        ["收费", notice.fee],
        ["办理地点", notice.locations.join("；")],
        ["办理时间", notice.office_hours],
        ["咨询", notice.consult],
      ].forEach(function ([term, value]) {
        facts.append(el("dt", {}, term), el("dd", {}, value));
      });
      result.append(facts);
      if (notice.notes.length) {
        const notes = el("ul", { class: "notes" });
        notice.notes.forEach(function (n) {
          notes.append(el("li", {}, n));
        });
        result.append(notes);
      }
      const url = new URL(notice.print_url, window.location.href);
      printLink.href = url.pathname + url.search;
      printLink.textContent = complete ? "打印告知单" : "打印告知单（未回答的问题将列出）";
      if (navigator.clipboard) {
        const copy = el("button", { type: "button" }, "复制告知单文字");
        copy.addEventListener("click", function () {
          navigator.clipboard.writeText(notice.text).then(
            function () {
              copy.textContent = "已复制";
            },
            function () {
              showError("复制失败，请手动选择文字。");
            }
          );
        });
        result.append(copy);
      }
    }

    function render(notice) {
      renderAnswers(notice);
      renderQuestion(notice.pending[0] || null);
      renderNotice(notice);
      restart.hidden = order.length === 0;
      // after the last answer, take keyboard users to the result
      if (!notice.pending.length && order.length) result.querySelector("h3").focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!current) return;
      const chosen = Array.from(optionsBox.querySelectorAll("input:checked")).map(function (box) {
        return box.value;
      });
      if (!chosen.length) {
        showError("请选择一项。");
        return;
      }
      answers[current.id] = current.multiple ? chosen : chosen[0];
      if (!order.includes(current.id)) order.push(current.id);
      load();
    });

    restart.addEventListener("click", function () {
      answers = {};
      order = [];
      load();
    });

    load();
  }

  const searchForm = document.getElementById("staff-search");
  if (searchForm) initSearch(searchForm);
  const wizard = document.getElementById("wizard");
  if (wizard) initWizard(wizard);
})();
