/*
 * Window-staff lookup: search as you type, recent items and the print list (/staff), and the scenario wizard
 * (/staff/items/{id}). Recent items and the print list are kept in this browser (localStorage): no server state.
 * Every piece of data is put in the page with textContent, never as markup.
 */
(function () {
  "use strict";

  const RECENT_KEY = "zwzs.staff.recent";
  const PRINT_KEY = "zwzs.staff.printList";
  const RECENT_MAX = 10;
  // a phone number inside a contact line (as the server's tel links: 12345, 0755-12345678, not a time or a date)
  const PHONE = /(?<![\d/.:-])(?:\d{3,4}-\d{7,8}(?:-\d{1,6})?|\d{5,12})(?![\d/.:-])/g;

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

  /** Text with its phone numbers as tel: links. */
  function phones(text) {
    const line = String(text || "");
    const out = document.createDocumentFragment();
    let start = 0;
    line.replace(PHONE, function (match, offset) {
      out.append(line.slice(start, offset), el("a", { href: "tel:" + match, class: "tel" }, match));
      start = offset + match.length;
      return match;
    });
    out.append(line.slice(start));
    return out;
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

  /* ------------------------------------------------------- this browser's lists */

  /** A list kept in localStorage (an empty one where storage is unavailable or holds something else). */
  function readList(key) {
    try {
      const value = JSON.parse(window.localStorage.getItem(key) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (_) {
      return [];
    }
  }

  function writeList(key, list) {
    try {
      window.localStorage.setItem(key, JSON.stringify(list));
      return true;
    } catch (_) {
      return false;
    }
  }

  /** Put an item or bundle first in the recent list (once, at most RECENT_MAX kept). */
  function rememberVisit(entry) {
    const list = readList(RECENT_KEY).filter(function (seen) {
      return seen && seen.id !== entry.id;
    });
    list.unshift(entry);
    writeList(RECENT_KEY, list.slice(0, RECENT_MAX));
  }

  /**
   * Add a notice (its path with the answers) to the print list, once. Returns the list's length; 0 when the list
   * already holds as many as /notices/print prints at once (max); -1 when this browser keeps no storage.
   */
  function addToPrintList(notice, max) {
    const list = readList(PRINT_KEY).filter(function (kept) {
      return kept && kept.path !== notice.path;
    });
    if (list.length >= max) return 0;
    list.push(notice);
    return writeList(PRINT_KEY, list) ? list.length : -1;
  }

  /** The address that prints every notice of the list in one page: /notices/print?n=<path>&n=<path>. */
  function printAllHref(list) {
    return (
      "/notices/print?" +
      list
        .map(function (kept) {
          return "n=" + encodeURIComponent(kept.path);
        })
        .join("&")
    );
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
        if (hit.material) link.append(el("span", { class: "material" }, "申请材料含：" + hit.material));
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
        if (response.status === 401) {
          // the session ended (8 hours, or logged out in another tab): log in again, then back to this search
          window.location.assign("/console/login?next=" + encodeURIComponent(location.pathname + location.search));
          return;
        }
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

  /* ------------------------------------------------- recent items, print list */

  /** The side column of the search page is shown only while it has something to show. */
  function updateSide() {
    const side = document.getElementById("staff-side");
    if (!side) return;
    side.hidden = Array.from(side.querySelectorAll("section")).every(function (section) {
      return section.hidden;
    });
  }

  function initRecent(section) {
    const list = document.getElementById("recent-list");
    const clear = document.getElementById("recent-clear");

    function render() {
      const seen = readList(RECENT_KEY).filter(function (entry) {
        return entry && entry.id && entry.name;
      });
      list.replaceChildren();
      seen.forEach(function (entry) {
        const link = el("a", { href: itemHref(entry.id) }, entry.name);
        if (entry.kind === "bundle") link.append(el("span", { class: "badge" }, "一件事"));
        const li = el("li");
        li.append(link);
        list.append(li);
      });
      section.hidden = seen.length === 0;
      updateSide();
    }

    clear.addEventListener("click", function () {
      writeList(RECENT_KEY, []);
      render();
      document.getElementById("q").focus();
    });
    window.addEventListener("storage", function (event) {
      if (event.key === RECENT_KEY || event.key === null) render();
    });
    render();
  }

  function initPrintList(section) {
    const items = document.getElementById("print-list-items");
    const status = document.getElementById("print-list-status");
    const printAll = document.getElementById("print-all");
    const clear = document.getElementById("print-list-clear");

    function render() {
      const kept = readList(PRINT_KEY).filter(function (notice) {
        return notice && typeof notice.path === "string" && notice.path.startsWith("/notice/");
      });
      items.replaceChildren();
      kept.forEach(function (notice) {
        const li = el("li");
        const link = el("a", { href: notice.path, target: "_blank", rel: "noopener" }, notice.name || notice.path);
        li.append(link);
        if (notice.summary) li.append(el("span", { class: "summary" }, notice.summary));
        const remove = el("button", { type: "button", class: "secondary remove" }, "移除");
        remove.setAttribute("aria-label", "移除：" + (notice.name || notice.path) + (notice.summary ? "（" + notice.summary + "）" : ""));
        remove.addEventListener("click", function () {
          const rest = readList(PRINT_KEY).filter(function (other) {
            return other && other.path !== notice.path;
          });
          writeList(PRINT_KEY, rest);
          render();
          status.textContent = "已移除，清单中还有 " + rest.length + " 份。";
          (items.querySelector("button") || printAll).focus();
        });
        li.append(remove);
        items.append(li);
      });
      printAll.href = printAllHref(kept);
      printAll.firstChild.textContent = "全部打印（" + kept.length + " 份）";
      section.hidden = kept.length === 0;
      updateSide();
    }

    clear.addEventListener("click", function () {
      writeList(PRINT_KEY, []);
      render();
      document.getElementById("q").focus();
    });
    window.addEventListener("storage", function (event) {
      if (event.key === PRINT_KEY || event.key === null) render();
    });
    render();
  }

  /* ---------------------------------------------------------------- wizard */

  function initWizard(section) {
    const api = section.dataset.api;
    const entry = { id: section.dataset.entryId, name: section.dataset.entryName, kind: section.dataset.entryKind };
    const maxBatch = Number(section.dataset.maxBatch) || 50;
    const form = document.getElementById("wizard-form");
    const groups = form ? Array.from(form.querySelectorAll("fieldset.question")) : [];
    const status = document.getElementById("wizard-status");
    const result = document.getElementById("wizard-result");
    const errorBox = document.getElementById("wizard-error");
    const restart = document.getElementById("wizard-restart");
    const printLink = document.getElementById("wizard-print");
    const pdfLink = document.getElementById("wizard-pdf");
    const addButton = document.getElementById("wizard-add");
    const listStatus = document.getElementById("wizard-list-status");
    let controller = null;
    let byPointer = false; // the last answer was a click or a tap (not the keyboard)
    let current = null; // { path, summary } of the notice on screen

    rememberVisit(entry);

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = !message;
    }

    function applies(group, chosen) {
      const parent = group.dataset.whenQuestion;
      if (!parent) return true;
      const wanted = (group.dataset.whenOptions || "").split(" ");
      return (chosen[parent] || []).some(function (option) {
        return wanted.includes(option);
      });
    }

    /**
     * The answers the form holds, in the order of the questions. A follow-up shows only while the option that
     * opens it is chosen; when it no longer applies its answer is dropped. Every other answer stays as it is.
     */
    function collect() {
      const chosen = {};
      const answers = {};
      let next = null;
      groups.forEach(function (group) {
        const id = group.dataset.question;
        const inputs = Array.from(group.querySelectorAll("input"));
        const open = applies(group, chosen);
        group.hidden = !open;
        if (!open) {
          inputs.forEach(function (input) {
            input.checked = false;
          });
        }
        const checked = inputs
          .filter(function (input) {
            return input.checked;
          })
          .map(function (input) {
            return input.value;
          });
        group.classList.toggle("answered", checked.length > 0);
        group.classList.remove("next");
        if (!open) return;
        if (checked.length) {
          chosen[id] = checked;
          answers[id] = inputs[0].type === "checkbox" ? checked : checked[0];
        } else if (!next) {
          next = group;
        }
      });
      if (next) next.classList.add("next");
      return { answers: answers, next: next };
    }

    async function load() {
      const { answers, next } = collect();
      showError("");
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(api, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ answers: answers }),
          signal: controller.signal,
        });
        if (!response.ok) {
          showError(await errorMessage(response));
          return;
        }
        render(await response.json(), Object.keys(answers).length);
        if (next && byPointer) next.scrollIntoView({ block: "nearest" });
      } catch (error) {
        if (error.name !== "AbortError") showError("无法生成告知单，请检查网络后重试。");
      }
    }

    function renderNotice(notice) {
      result.replaceChildren();
      const complete = notice.pending.length === 0;
      result.append(el("h3", {}, complete ? "一次性告知单" : "目前已确定的内容（还有 " + notice.pending.length + " 个问题）"));
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
        const dd = el("dd");
        dd.append(term === "咨询" ? phones(value) : value);
        facts.append(el("dt", {}, term), dd);
      });
      result.append(facts);
      if (notice.notes.length) {
        const notes = el("ul", { class: "notes" });
        notice.notes.forEach(function (n) {
          notes.append(el("li", {}, n));
        });
        result.append(notes);
      }
      if (navigator.clipboard) {
        const copy = el("button", { type: "button", class: "secondary" }, "复制告知单文字");
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

    function render(notice, answered) {
      renderNotice(notice);
      const url = new URL(notice.print_url, window.location.href);
      const path = url.pathname + url.search;
      current = {
        path: path,
        summary: notice.answers
          .map(function (shown) {
            return shown.answer;
          })
          .join("；"),
      };
      printLink.href = path;
      printLink.firstChild.textContent = notice.pending.length ? "打印告知单（未回答的问题将列出）" : "打印告知单";
      pdfLink.href = url.pathname + ".pdf" + url.search;
      addButton.hidden = false;
      restart.hidden = answered === 0;
      if (groups.length) {
        status.textContent = notice.pending.length
          ? "已回答 " + answered + " 个问题，还有 " + notice.pending.length + " 个；申请材料目前 " + notice.materials.length + " 项。"
          : "情形已全部回答，告知单已生成：申请材料 " + notice.materials.length + " 项。";
      }
    }

    if (form) {
      form.addEventListener("pointerdown", function () {
        byPointer = true;
      });
      form.addEventListener("keydown", function () {
        byPointer = false;
      });
      form.addEventListener("change", load);
      form.addEventListener("submit", function (event) {
        event.preventDefault(); // every click already answers; Enter on an option just keeps it
      });
    }

    restart.addEventListener("click", function () {
      groups.forEach(function (group) {
        group.querySelectorAll("input").forEach(function (input) {
          input.checked = false;
        });
      });
      listStatus.replaceChildren();
      load();
      const first = form && form.querySelector("input");
      if (first) first.focus();
    });

    addButton.addEventListener("click", function () {
      if (!current) return;
      const count = addToPrintList(
        { path: current.path, name: entry.name, summary: current.summary || "未回答情形" },
        maxBatch
      );
      listStatus.replaceChildren();
      if (count === 0) {
        listStatus.textContent = "打印清单已满（一次最多打印 " + maxBatch + " 份），请先打印或移除一些。";
        return;
      }
      if (count < 0) {
        listStatus.textContent = "无法保存打印清单：浏览器禁止了本地存储。";
        return;
      }
      listStatus.append("已加入打印清单（共 " + count + " 份）。");
      listStatus.append(el("a", { href: "/staff#print-list" }, "查看打印清单"));
    });

    load();
  }

  const searchForm = document.getElementById("staff-search");
  if (searchForm) initSearch(searchForm);
  const recent = document.getElementById("recent");
  if (recent) initRecent(recent);
  const printList = document.getElementById("print-list");
  if (printList) initPrintList(printList);
  const wizard = document.getElementById("wizard");
  if (wizard) initWizard(wizard);
})();
