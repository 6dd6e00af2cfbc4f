// The conversation's js_on_load (qa.serve.ui.components.conversation). Gradio runs it with `element` (the
// component's root), `trigger`, `props` and `watch`. The server sends one turn at a time as `value`; this appends
// it, building every element with createElement and textContent (never innerHTML of corpus text), so a document
// holding `<script>` shows those characters. A citation asks the server for its source: trigger('select', range).
const log = element.querySelector(".qa-log");
let pending = null;

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function parts(list) {  // text pieces, the marked ones in <mark>
  return list.map((p) => (p.mark ? el("mark", { class: `qa-${p.mark}`, text: p.text }) : document.createTextNode(p.text)));
}

function blocks(list) {  // a source's blocks: headings as headings, the rest as text
  return list.map((b) => el("div", { class: b.heading ? "qa-src-heading" : "qa-text" }, ...parts(b.parts)));
}

function citeButton(c, label) {
  return el("button", { type: "button", class: "qa-cite", title: "Show in the document", text: label,
                        onclick: () => trigger("select", { doc: c.doc, start: c.start, end: c.end }) });
}

function sources(d) {
  const n = d.sources.length;
  if (!n) return null;
  const summary = d.answered ? `Sources: ${n} passage${n === 1 ? "" : "s"}, the cited text marked`
                             : `Nearest ${n} passage${n === 1 ? "" : "s"}: none of them answers`;
  const items = d.sources.map((s) => {
    const tag = d.answered ? el("span", { class: s.cited ? "qa-tag qa-tag-cited" : "qa-tag", text: s.cited ? "cited" : "retrieved" })
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
  const button = el("button", { type: "button", class: "qa-copy", text: "Copy", "aria-label": "Copy the answer as text" });
  button.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; }
    catch (err) { button.textContent = "Copy failed"; }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  return button;
}

function replyNode(turn) {
  const d = turn.display;
  // the label a screen reader gives the reply: its copy text, plain words (never the message's markup)
  const node = el("article", { class: "qa-msg qa-reply" + (d.answered ? "" : " qa-refusal"), "aria-label": d.copy });
  if (d.answering) node.append(el("div", { class: "qa-resolved", text: `Answering: ${d.answering}` }));
  if (d.answered) {
    node.append(el("div", { class: "qa-verdict" }, el("span", { class: "qa-short", text: d.short }), " ", confidence(d)));
    node.append(el("blockquote", { class: "qa-quote qa-text" },
                   ...d.quote.flatMap((q, i) => (i ? [document.createTextNode(" … "), ...parts(q)] : parts(q)))));
    for (const c of d.citations) node.append(el("div", { class: "qa-cite-line" }, "— ", citeButton(c, c.where)));
  } else {
    node.append(el("div", { class: "qa-verdict qa-abstain" }, el("strong", { text: d.verdict }), " ",
                   document.createTextNode(`Nothing in it answers “${d.answering || turn.question}”. `), confidence(d)));
  }
  node.append(el("p", { class: "qa-conf-note", text: d.confidence_note }));
  node.append(sources(d), el("div", { class: "qa-actions" }, copyButton(d.copy)));
  return node;
}

function asking(message) {  // the question at once, and a line saying the answer is on its way
  log.append(el("div", { class: "qa-msg qa-user" }, el("div", { class: "qa-question", text: message })));
  pending = el("div", { class: "qa-msg qa-pending", role: "status", text: "Looking in the documents…" });
  log.append(pending);
  pending.scrollIntoView({ block: "end" });
}

// the question box's submit runs qa.serve.ui.page.ECHO first, which sends the question here before the server answers
window.addEventListener("qa-asking", (e) => { if (!pending && e.detail) asking(e.detail); });

watch("value", () => {
  const turn = props.value;
  if (!turn || !turn.kind) return;
  if (turn.kind === "clear") { log.replaceChildren(); pending = null; return; }
  if (!pending) asking(turn.message);
  const node = turn.kind === "reply" ? replyNode(turn)
                                     : el("div", { class: "qa-msg qa-reply qa-error", role: "alert", text: turn.error });
  pending.replaceWith(node);
  pending = null;
  node.previousElementSibling.scrollIntoView({ block: "start" });
});
