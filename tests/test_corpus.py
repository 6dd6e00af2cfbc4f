"""The corpus loader: which files are documents, exact decoding, and one warning per bad file, an error with strict
(PDF, HTML and DOCX files: tests/test_formats.py)."""
from __future__ import annotations

import os

import pytest

from conftest import write_corpus
from qa.ingest.corpus import corpus_hash, load_corpus, read_corpus
from qa.errors import QAError


def test_reads_txt_and_md_files_in_nested_folders(tmp_path):
    write_corpus(tmp_path, {"a.txt": "Alpha.\n", "sub/b.md": "# B\n\nBeta.\n", "sub/deeper/c.TXT": "Gamma.\n",
                            "notes.rst": "not read", "script.py": "print()", "data.csv": "a,b",
                            ".hidden.txt": "hidden", ".git/x.txt": "not a document"})
    docs = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["a.txt", "sub/b.md", "sub/deeper/c.TXT"]


def test_text_is_the_exact_decoded_bytes(tmp_path):
    text = "\ufeffCafé costs 3€.\r\nSecond line.\rOld Mac line.\n"
    (tmp_path / "a.txt").write_bytes(text.encode("utf-8"))
    (doc,) = load_corpus(tmp_path)
    assert doc.text == text  # BOM, CRLF and CR kept: offsets index the file as a reader decodes it


@pytest.mark.parametrize("name, data, words", [
    ("empty.txt", b"", "empty"),
    ("blank.md", b"  \n\n\t\n", "empty"),
    ("only-front-matter.md", b"---\ntitle: x\n---\n\n", "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("latin1.txt", "Café au lait, déjà vu.".encode("latin-1"), "UTF-8"),
    ("notes.rtf", b"{\\rtf1 Hello}", "does not read .rtf"),
])
def test_a_bad_file_is_one_warning_naming_it_and_the_rest_loads(tmp_path, capsys, name, data, words):
    (tmp_path / "good.txt").write_text("A good document.", encoding="utf-8")
    (tmp_path / name).write_bytes(data)
    assert [d.id for d in load_corpus(tmp_path)] == ["good.txt"]
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("qa: warning: ") and name in line and words in line
    with pytest.raises(QAError) as err:  # --strict
        read_corpus(tmp_path, strict=True)
    message = str(err.value)
    assert "--strict: 1 file of" in message and name in message and "\n" not in message


def test_an_empty_folder_is_an_error_naming_it(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "readme.rst").write_text("not a document")
    with pytest.raises(QAError, match=r"no documents \(.txt, .md, .pdf, .html, .htm, .docx files\)") as err:
        load_corpus(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_a_missing_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(QAError, match="not found") as err:
        load_corpus(tmp_path / "nowhere")
    assert "nowhere" in str(err.value)


def test_a_file_instead_of_a_folder_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text("Text.")
    with pytest.raises(QAError):
        load_corpus(tmp_path / "a.txt")


def test_symlinks_out_of_the_corpus_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write_corpus(outside, {"secret.txt": "Outside the corpus.", "folder/more.md": "Also outside."})
    corpus = write_corpus(tmp_path / "corpus", {"inside.txt": "Inside."})
    os.symlink(outside / "secret.txt", corpus / "link.txt")
    os.symlink(outside / "folder", corpus / "linked-folder")
    os.symlink(corpus / "inside.txt", corpus / "alias.txt")  # a link that stays inside is an ordinary file
    docs = load_corpus(corpus)
    assert sorted(d.id for d in docs) == ["alias.txt", "inside.txt"]
    assert all("Outside" not in d.text and "Also outside" not in d.text for d in docs)


def test_front_matter_is_metadata(tmp_path):
    write_corpus(tmp_path, {"s.md": "---\ntitle: 'Speech'\nspeaker: Ge Honglin\n---\nBody.\n"})
    (doc,) = load_corpus(tmp_path)
    assert doc.meta == {"title": "Speech", "speaker": "Ge Honglin"}
    assert doc.text[doc.body_start:] == "Body.\n"


def test_corpus_hash_changes_with_any_edit(tmp_path):
    write_corpus(tmp_path, {"a.txt": "One.", "b.txt": "Two."})
    before = corpus_hash(load_corpus(tmp_path))
    assert corpus_hash(load_corpus(tmp_path)) == before
    (tmp_path / "b.txt").write_text("Two!")
    edited = corpus_hash(load_corpus(tmp_path))
    (tmp_path / "b.txt").rename(tmp_path / "c.txt")
    renamed = corpus_hash(load_corpus(tmp_path))
    assert len({before, edited, renamed}) == 3


def test_an_unreadable_entry_is_a_warning_naming_it(tmp_path, capsys):
    write_corpus(tmp_path, {"good.txt": "Good."})
    os.symlink(tmp_path / "gone.txt", tmp_path / "dangling.txt")
    assert [d.id for d in load_corpus(tmp_path)] == ["good.txt"]
    assert "dangling.txt: left out, cannot read it" in capsys.readouterr().err
    (tmp_path / "dangling.txt").unlink()
    (tmp_path / "folder.md").mkdir()  # a folder named like a document is walked into, not read
    assert [d.id for d in load_corpus(tmp_path)] == ["good.txt"]
