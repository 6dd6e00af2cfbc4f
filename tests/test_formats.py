"""PDF, HTML and DOCX documents: converted to Markdown, indexed and cited by exact offsets into that text, with PDF
pages; a file that cannot be converted is one warning line and the rest of the corpus still indexes."""
from __future__ import annotations

import io

import pytest

from qa.errors import QAError
from qa.ingest.corpus import load_corpus
from qa.ingest.split import Splitter
from qa.records import page_of

FERRY_PAGE = b"""<html><head><title>Ferry guide</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/shop">Shop</a></li></ul></nav>
<header><div class="menu">Menu Login Subscribe to our newsletter</div></header>
<main><article><h1>The island ferry</h1>
<p>The ferry to the island leaves every hour from the north pier. The crossing takes forty minutes in calm weather.</p>
<h2>Tickets</h2>
<p>Tickets cost twelve euros for adults and six euros for children under twelve. They are sold at the kiosk.</p>
<ul><li>Bicycles travel free.</li><li>Dogs must be on a lead.</li></ul>
<h2>Winter timetable</h2>
<p>From November to March the ferry runs every two hours, and the last boat leaves at six in the evening.</p>
</article></main>
<footer><p>Copyright 2026 Ferry Company. All rights reserved. Privacy policy. Cookie settings.</p></footer>
</body></html>"""


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A PDF whose page i shows the lines of pages[i] in Helvetica; a page with no lines has no text layer."""
    def escape(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    n = len(pages)
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(n))}] /Count {n} >>"]
    for i, lines in enumerate(pages):
        ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {3 + 2 * n} 0 R >> >> >>")
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


TWO_PAGES = [["The mill was built in 1820 by the river.", "It ground wheat for the whole valley."],
             ["The mill closed in 1961 after a flood.", "Its wheel was restored by volunteers in 1998."]]


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Lighthouse report", level=1)
    document.add_paragraph("The lighthouse stands on the western cape. Its lamp can be seen for twenty miles.")
    document.add_heading("Keepers", level=2)
    document.add_paragraph("Three keepers lived at the station until 1980.")
    document.add_paragraph("Oil for the lamp", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Year", "Event"), ("1871", "First lit")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def split(doc):
    return Splitter().split(doc)[0]


def test_html_keeps_the_body_and_headings_and_drops_the_navigation(tmp_path):
    (tmp_path / "ferry.html").write_bytes(FERRY_PAGE)
    (doc,) = load_corpus(tmp_path)
    assert "leaves every hour from the north pier" in doc.text and "Bicycles travel free." in doc.text
    assert not any(word in doc.text for word in ("About us", "Subscribe", "Copyright", "Cookie"))
    assert doc.meta["format"] == "html" and doc.meta["title"] == "The island ferry"  # trafilatura prefers the h1 to <title>
    sentences = split(doc)
    assert all(doc.text[s.start:s.end] == s.text for s in sentences)
    heading = {s.text: s.heading for s in sentences}
    assert heading["They are sold at the kiosk."] == "The island ferry › Tickets"
    assert heading["The crossing takes forty minutes in calm weather."] == "The island ferry"


def test_docx_headings_paragraphs_list_items_and_table_rows(tmp_path):
    (tmp_path / "report.docx").write_bytes(docx_bytes())
    (doc,) = load_corpus(tmp_path)
    assert doc.text.startswith("# Lighthouse report\n\n") and "## Keepers" in doc.text
    assert "- Oil for the lamp" in doc.text and "Year | Event" in doc.text and "1871 | First lit" in doc.text
    sentences = split(doc)
    assert all(doc.text[s.start:s.end] == s.text for s in sentences)
    heading = {s.text: s.heading for s in sentences}
    assert heading["Its lamp can be seen for twenty miles."] == "Lighthouse report"
    assert heading["Three keepers lived at the station until 1980."] == "Lighthouse report › Keepers"
    assert heading["1871 | First lit"] == "Lighthouse report › Keepers"


def test_pdf_text_and_page_of_every_sentence(tmp_path):
    (tmp_path / "mill.pdf").write_bytes(pdf_bytes(TWO_PAGES))
    (doc,) = load_corpus(tmp_path)
    assert doc.meta["format"] == "pdf" and len(doc.meta["pages"]) == 2
    sentences = split(doc)
    assert all(doc.text[s.start:s.end] == s.text for s in sentences)
    for page, lines in enumerate(TWO_PAGES, 1):
        for line in lines:
            (s,) = [s for s in sentences if s.text == line]
            assert page_of(doc, s.start) == page and page_of(doc, s.end - 1) == page


def test_page_of_a_document_without_pages_is_none(tmp_path):
    (tmp_path / "a.txt").write_text("Plain text.", encoding="utf-8")
    (doc,) = load_corpus(tmp_path)
    assert page_of(doc, 0) is None


@pytest.mark.parametrize("name, data, words", [
    ("scan.pdf", pdf_bytes([[], []]), "no text layer"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "cannot read it as PDF"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "cannot read it as DOCX"),
    ("blank.html", b"<html><head><title>Soon</title></head><body></body></html>", "no text in this HTML"),
    ("binary.htm", b"\x00\x01\x02\xff", "no text in this HTML"),
])
def test_an_unreadable_file_is_one_warning_line_and_the_rest_still_indexes(tmp_path, capsys, name, data, words):
    (tmp_path / "good.txt").write_text("A good document.", encoding="utf-8")
    (tmp_path / name).write_bytes(data)
    docs = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["good.txt"]
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("qa: warning: ") and name in line and words in line


def test_an_encrypted_pdf_is_a_warning_naming_it(tmp_path, capsys):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(TWO_PAGES))))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    (tmp_path / "good.md").write_text("# Good\n\nText.", encoding="utf-8")
    (tmp_path / "locked.pdf").write_bytes(buffer.getvalue())
    assert [d.id for d in load_corpus(tmp_path)] == ["good.md"]
    (line,) = capsys.readouterr().err.splitlines()
    assert "locked.pdf" in line and "encrypted" in line


def test_a_corpus_with_nothing_readable_is_an_error(tmp_path, capsys):
    (tmp_path / "scan.pdf").write_bytes(pdf_bytes([[]]))
    with pytest.raises(QAError, match="no readable documents") as err:
        load_corpus(tmp_path)
    assert str(tmp_path) in str(err.value) and "\n" not in str(err.value)


def test_a_converted_text_over_the_limit_is_a_warning_naming_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("qa.ingest.corpus.MAX_FILE_BYTES", 60)
    (tmp_path / "mill.pdf").write_bytes(pdf_bytes(TWO_PAGES))  # a file of 1 KB, its text 164 bytes
    (tmp_path / "short.txt").write_text("Short.", encoding="utf-8")
    assert [d.id for d in load_corpus(tmp_path)] == ["short.txt"]
    (line,) = capsys.readouterr().err.splitlines()
    assert "mill.pdf: left out, its text is 164 bytes, over the 60-byte limit" in line


def test_the_current_check_converts_nothing_until_a_file_changes(tmp_path, embedder, monkeypatch):
    import qa.ingest.corpus as corpus_module
    from qa.index.build import build_index, stale_reason
    from qa.index.store import read_manifest, save_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mill.pdf").write_bytes(pdf_bytes(TWO_PAGES))
    save_index(build_index(corpus, embedder=embedder), tmp_path / "index")
    _, manifest = read_manifest(tmp_path / "index")
    converted, convert = [], corpus_module.convert
    monkeypatch.setattr(corpus_module, "convert", lambda *args: converted.append(args) or convert(*args))
    assert stale_reason(manifest, corpus, None, None) is None and not converted
    (corpus / "mill.pdf").write_bytes(pdf_bytes([TWO_PAGES[0], ["The mill closed in 1962."]]))
    assert stale_reason(manifest, corpus, None, None) == "the corpus changed" and converted


def test_a_document_format_qa_cannot_read_is_one_warning_naming_it_and_the_rest_indexes(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Text.", encoding="utf-8")
    (tmp_path / "slides.pptx").write_bytes(b"PK\x03\x04")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "figure.png").write_bytes(b"\x89PNG")  # not a document: left out without a word
    assert [d.id for d in load_corpus(tmp_path)] == ["a.txt"]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "old.doc: left out" in lines[0] and ".doc files" in lines[0]
    assert "slides.pptx: left out" in lines[1]
    assert load_corpus(tmp_path, quiet=True) and capsys.readouterr().err == ""


def test_a_pdf_answer_cites_its_page_and_resolves_from_the_index_alone(tmp_path, embedder):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.index.store import save_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mill.pdf").write_bytes(pdf_bytes(TWO_PAGES))
    (corpus / "ferry.html").write_bytes(FERRY_PAGE)
    (corpus / "report.docx").write_bytes(docx_bytes())
    (corpus / "notes.txt").write_text("The bakery opens at seven every morning.", encoding="utf-8")
    save_index(build_index(corpus, embedder=embedder), tmp_path / "index")
    for path in corpus.iterdir():
        path.unlink()  # citations resolve from the index's own copy of the converted text
    assistant = Assistant.load(tmp_path / "index")
    answer = assistant.ask("When did the mill close?")
    assert answer.answerable and "1961" in answer.answer
    (citation,) = answer.to_dict()["citations"]
    assert citation["doc"] == "mill.pdf" and citation["page"] == 2
    source = assistant.index.documents["mill.pdf"].text
    assert source[citation["start"]:citation["end"]] == citation["text"] == answer.quote
    bakery = assistant.ask("When does the bakery open?").to_dict()
    assert bakery["answerable"] and all("page" not in c for c in bakery["citations"])
    from fastapi.testclient import TestClient

    from qa.serve.app import create_app
    from qa.serve.service import Service

    client = TestClient(create_app(Service(assistant)))  # the HTTP answer is the same dict, page included
    (cited,) = client.post("/api/ask", json={"question": "When did the mill close?"}).json()["citations"]
    assert cited == citation
