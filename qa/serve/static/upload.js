// Bringing documents to the chat: files or a folder dropped on the page (or chosen) are sent one by one as raw
// bodies (PUT, with the bytes' progress), then indexed on the server into a corpus of their own (its stage and
// fraction polled); the chat then switches to it. Uses app.js's $, el, json, state, loadCorpora and showCorpus.
"use strict";
const SUFFIXES = [".txt", ".md", ".pdf", ".html", ".htm", ".docx"];

function readable(file) {
  const name = file.name.toLowerCase();
  return !name.startsWith(".") && SUFFIXES.some((s) => name.endsWith(s));
}

function corpusName(files, folder) {  // a name the server accepts, not yet taken
  const stem = (folder || files[0].name.replace(/\.[^.]*$/, "")).toLowerCase().replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "").slice(0, 30) || "upload";
  const taken = new Set(state.corpora.map((c) => c.name));
  let name = stem === "default" ? "default-1" : stem;
  for (let n = 2; taken.has(name); n++) name = `${stem}-${n}`;
  return name;
}

function putFile(corpus, file, onBytes) {  // XHR: fetch cannot report the upload's progress
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/api/corpora/${encodeURIComponent(corpus)}/files/${encodeURIComponent(file.name)}`);
    xhr.upload.onprogress = (e) => onBytes(e.loaded);
    xhr.onload = () => {
      let detail = `HTTP ${xhr.status}`;
      try { detail = JSON.parse(xhr.responseText).detail || detail; } catch (err) { /* not JSON */ }
      if (xhr.status < 300) resolve(); else reject(new Error(detail));
    };
    xhr.onerror = () => reject(new Error(`${file.name}: the upload failed`));
    xhr.send(file);
  });
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function progress(fraction, text) {
  const bar = $("qa-progress");
  bar.hidden = false;
  bar.value = fraction;
  $("qa-upload-status").textContent = text;
}

async function upload(all, folder) {
  const files = all.filter(readable);
  const skipped = all.length - files.length;
  $("qa-upload").hidden = false;
  if (!files.length) { progress(0, "None of these is a document qa reads (.pdf .html .docx .md .txt)."); return; }
  const corpus = corpusName(files, folder);
  const total = files.reduce((n, f) => n + f.size, 0) || 1;
  let done = 0;
  try {
    for (const file of files) {
      await putFile(corpus, file, (bytes) => progress(0.5 * (done + bytes) / total, `Uploading ${file.name}`));
      done += file.size;
    }
    await json(`/api/corpora/${encodeURIComponent(corpus)}/build`, { method: "POST" });
    let c;
    do {
      await wait(400);
      c = await json(`/api/corpora/${encodeURIComponent(corpus)}`);
      progress(0.5 + 0.5 * c.fraction, `Indexing: ${c.stage || c.status}`);
    } while (c.status === "building");
    if (c.status !== "ready") throw new Error(c.error || `indexing ended ${c.status}`);
    const notes = [...c.warnings, ...(skipped ? [`${skipped} file(s) left out: not a document qa reads`] : [])];
    progress(1, `Indexed ${files.length} file(s) into “${corpus}”; the chat now asks them.` +
                (notes.length ? ` Note: ${notes.join("; ")}` : ""));
    await loadCorpora(corpus);
    $("qa-clear").click();
    await showCorpus(corpus);
  } catch (err) {
    progress($("qa-progress").value, `Not added: ${err.message}`);
    await loadCorpora();
  }
}

async function walk(entry, out) {  // a dropped folder's files, depth first (DataTransferItem.webkitGetAsEntry)
  if (entry.isFile) { out.push(await new Promise((resolve, reject) => entry.file(resolve, reject))); return; }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) if (!child.name.startsWith(".")) await walk(child, out);
  }
}

let depth = 0;
window.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; $("qa-dropzone").hidden = false; });
window.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; $("qa-dropzone").hidden = true; } });
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", async (e) => {
  e.preventDefault();
  depth = 0;
  $("qa-dropzone").hidden = true;
  const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) { upload([...e.dataTransfer.files]); return; }
  const files = [];
  for (const entry of entries) await walk(entry, files);
  upload(files, entries.length === 1 && entries[0].isDirectory ? entries[0].name : null);
});
$("qa-files").addEventListener("change", (e) => { upload([...e.target.files]); e.target.value = ""; });
$("qa-folder").addEventListener("change", (e) => {
  const files = [...e.target.files];
  upload(files, files.length ? (files[0].webkitRelativePath || "").split("/")[0] : null);
  e.target.value = "";
});
