// The chat page: builds every element from the server's JSON with createElement and textContent (never
// innerHTML of corpus text), appends each turn, and asks nothing of any host but this server.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { corpus: "default", previous: null, corpora: [] };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

async function json(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
  if (!response.ok) {
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    throw new Error(detail || `HTTP ${response.status}`);
  }
  return body;
}

// ------------------------------------------------------------------ replies

function parts(list) {  // text pieces, the marked ones in <mark>
  return list.map((p) => (p.mark ? el("mark", { class: `qa-${p.mark}`, text: p.text }) : document.createTextNode(p.text)));
}

function blocks(list) {  // a source's blocks: headings as headings, the rest as text
  return list.map((b) => (b.heading ? el("div", { class: "qa-src-heading" }, ...parts(b.parts))
                                    : el("div", { class: "qa-text" }, ...parts(b.parts))));
}

function citeButton(c, label) {
  return el("button", { type: "button", class: "qa-cite", title: "Show in the document", text: label,
                        onclick: () => openSource(c.doc, c.start, c.end) });
}

function sources(d) {
  const n = d.sources.length;
  if (!n) return null;
  const summary = d.answered ? `Sources: ${n} passage${n === 1 ? "" : "s"}, the cited text marked`
                             : `Nearest ${n} passage${n === 1 ? "" : "s"}: none of them answers`;
  const items = d.sources.map((s) => {
    const tag = d.answered ? (s.cited ? el("span", { class: "qa-tag qa-tag-cited", text: "cited" })
                                      : el("span", { class: "qa-tag", text: "retrieved" }))
                           : el("span", { class: "qa-tag qa-tag-no", text: "does not answer" });
    return el("li", { class: "qa-source" + (s.cited ? " qa-source-cited" : "") },
              el("div", { class: "qa-source-head" }, tag, citeButton(s, s.where)), ...blocks(s.blocks));
  });
  return el("details", { class: "qa-sources" }, el("summary", { text: summary }), el("ol", {}, ...items));
}

function confidence(d) {
  const band = d.confidence >= 0.7 ? "high" : d.confidence >= 0.4 ? "mid" : "low";
  return el("span", { class: `qa-conf qa-conf-${band}`, title: `calibrated probability ${d.confidence.toFixed(2)}`,
                      text: d.confidence_words });
}

function copyButton(text) {
  const button = el("button", { type: "button", class: "qa-copy", text: "Copy" });
  button.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; }
    catch (err) { button.textContent = "Copy failed"; }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  return button;
}

function replyNode(r) {
  const d = r.display;
  const node = el("article", { class: "qa-msg qa-reply" + (d.answered ? "" : " qa-refusal") });
  if (d.rewritten) node.append(el("div", { class: "qa-resolved", text: `Answering: ${r.question}` }));
  if (d.answered) {
    node.append(el("div", { class: "qa-verdict" }, el("span", { class: "qa-short", text: d.short }), " ", confidence(d)));
    node.append(el("blockquote", { class: "qa-quote qa-text" },
                   ...d.quote.flatMap((q, i) => (i ? [document.createTextNode(" … "), ...parts(q)] : parts(q)))));
    for (const c of d.citations) node.append(el("div", { class: "qa-cite-line" }, "— ", citeButton(c, c.where)));
  } else {
    node.append(el("div", { class: "qa-verdict qa-abstain" }, el("strong", { text: d.verdict }), " ",
                   document.createTextNode(`Nothing in it answers “${r.question}”. `), confidence(d)));
  }
  node.append(el("p", { class: "qa-conf-note", text: d.confidence_note }));
  node.append(sources(d), el("div", { class: "qa-actions" }, copyButton(d.copy)));
  return node;
}

// ------------------------------------------------------------------ asking

async function ask(message) {
  message = message.trim();
  if (!message) return;
  $("qa-examples").hidden = true;
  const log = $("qa-log");
  log.append(el("div", { class: "qa-msg qa-user" }, el("div", { class: "qa-question", text: message })));
  const pending = el("div", { class: "qa-msg qa-pending", text: "Looking in the documents…" });
  log.append(pending);
  pending.scrollIntoView({ block: "end" });
  const k = Math.max(1, Math.min(10, parseInt($("qa-k").value, 10) || 5));
  const body = { message, k, corpus: state.corpus, previous: state.previous };
  try {
    const r = await json("/api/chat", { method: "POST", headers: { "content-type": "application/json" },
                                        body: JSON.stringify(body) });
    state.previous = r.turn;
    pending.replaceWith(replyNode(r));
  } catch (err) {
    pending.replaceWith(el("div", { class: "qa-msg qa-reply qa-error", text: err.message }));
  }
  const last = log.lastElementChild;
  last.previousElementSibling.scrollIntoView({ block: "start" });
}

$("qa-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const box = $("qa-question");
  const message = box.value;
  box.value = "";
  ask(message);
});
$("qa-question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("qa-form").requestSubmit(); }
});
$("qa-clear").addEventListener("click", () => {
  $("qa-log").replaceChildren();
  state.previous = null;
  $("qa-examples").hidden = false;
  closeSource();
});

// ------------------------------------------------------------------ the source panel

async function openSource(doc, start, end) {
  const panel = $("qa-panel");
  const q = new URLSearchParams({ corpus: state.corpus, doc, start, end });
  try {
    const s = await json(`/api/source?${q}`);
    $("qa-panel-title").textContent = s.title && s.title !== s.doc ? `${s.title} (${s.doc})` : s.doc;
    const where = [s.page ? `page ${s.page} of ${s.pages}` : null, s.heading || null, `characters ${s.start}–${s.end}`];
    $("qa-panel-where").textContent = where.filter(Boolean).join(" · ");
    $("qa-panel-text").replaceChildren(...(s.context_start > 0 ? [el("div", { class: "qa-more", text: "…" })] : []),
                                       ...blocks(s.blocks),
                                       ...(s.context_end < s.length ? [el("div", { class: "qa-more", text: "…" })] : []));
    const mark = $("qa-panel-text").querySelector("mark");
    panel.hidden = false;
    document.body.classList.add("qa-panel-open");
    if (mark) mark.scrollIntoView({ block: "center" });
    $("qa-panel-close").focus({ preventScroll: true });
  } catch (err) {
    $("qa-panel-where").textContent = err.message;
    panel.hidden = false;
  }
}

function closeSource() {
  $("qa-panel").hidden = true;
  document.body.classList.remove("qa-panel-open");
}
$("qa-panel-close").addEventListener("click", closeSource);
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("qa-panel").hidden) closeSource(); });

// ------------------------------------------------------------------ corpora

async function showCorpus(name) {
  const c = await json(`/api/corpora/${encodeURIComponent(name)}`);
  state.corpus = name;
  const noun = c.noun || "documents";
  $("qa-title").textContent = `Ask the ${noun}`;
  $("qa-subtitle").textContent = c.title;
  document.title = `qa · ${c.title}`;
  $("qa-question").placeholder = `Ask the ${noun} a question, or follow up on the last answer`;
  $("qa-examples").replaceChildren(...(c.examples || []).map((q) =>
    el("button", { type: "button", class: "qa-example", text: q, onclick: () => ask(q) })));
  $("qa-examples").hidden = $("qa-log").childElementCount > 0;
}

async function loadCorpora(select) {
  state.corpora = await json("/api/corpora");
  const picker = $("qa-corpus");
  picker.replaceChildren(...state.corpora.map((c) => el("option", { value: c.name, text:
    c.status === "ready" ? (c.uploaded ? `${c.name} (${c.documents} files)` : c.title) : `${c.name} (${c.status})` })));
  for (const option of picker.options) option.disabled = state.corpora[option.index].status !== "ready";
  picker.value = select || state.corpus;
  picker.hidden = state.corpora.length < 2;
}

$("qa-corpus").addEventListener("change", async (e) => {
  $("qa-clear").click();
  await showCorpus(e.target.value);
});
$("qa-add").addEventListener("click", () => {
  const open = $("qa-upload").hidden;
  $("qa-upload").hidden = !open;
  $("qa-add").setAttribute("aria-expanded", String(open));
});

loadCorpora().then(() => showCorpus(state.corpus)).catch((err) => {
  $("qa-log").append(el("div", { class: "qa-msg qa-error", text: `The server did not answer: ${err.message}` }));
});
