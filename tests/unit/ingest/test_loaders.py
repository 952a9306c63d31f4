"""Loading files of every supported format, and refusing bad ones with one clear reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.errors import UnreadableDocument, UnsupportedFormat
from assistant.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    discover,
    load,
    needs_stored_text,
    read_text,
)

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def refusal(path: Path, **kwargs) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        load(path, **kwargs)
    assert caught.value.path == str(path)
    assert "\n" not in caught.value.reason
    return caught.value.reason


# --- plain text and Markdown ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_seed_round_trip(name):
    path = SEEDS / name
    loaded = load(path)
    assert loaded.text == read_text(path)
    assert loaded.format == "txt" and loaded.encoding == "utf-8"
    assert not needs_stored_text(loaded)


def test_crlf_and_bom_are_kept(tmp_path):
    path = write(tmp_path / "a.txt", b"\xef\xbb\xbfFirst line.\r\nSecond line.\r\n")
    loaded = load(path)
    assert loaded.text == "\ufeffFirst line.\r\nSecond line.\r\n"
    assert loaded.text == read_text(path)
    assert not needs_stored_text(loaded)


def test_cp1252_text_is_detected(tmp_path):
    text = (
        "The café on the corner served crème brûlée … and a naïve critic "
        "called it “the best in town”. Prices rose by 5 € over the summer, "
        "and the owner’s daughter said business was good.\r\n"
    )
    path = write(tmp_path / "old.txt", text.encode("cp1252"))
    loaded = load(path)
    assert loaded.text == text
    assert loaded.encoding == "cp1252"
    assert needs_stored_text(loaded)


@pytest.mark.parametrize(
    "tail, expected",
    [(b" AF\xe2\x80", " AF\ufffd"), (b" the owner\x92s caf\xe9", " the owner\ufffds caf\ufffd")],
)
def test_utf8_with_a_few_bad_bytes_is_not_mojibake(tmp_path, tail, expected):
    # Read as a legacy code page, the seed's curly quotes would turn into mojibake.
    seed = (SEEDS / "000_c282072937a0cf8e.txt").read_bytes()
    loaded = load(write(tmp_path / "cut.txt", seed + tail))
    assert loaded.text == seed.decode("utf-8") + expected
    assert loaded.encoding == "utf-8-replaced"
    assert needs_stored_text(loaded)


def test_utf16_with_bom_is_text(tmp_path):
    path = write(tmp_path / "notepad.txt", "Hello from Notepad, ça va?\r\n".encode("utf-16"))
    loaded = load(path)
    assert loaded.text == "Hello from Notepad, ça va?\r\n"
    assert needs_stored_text(loaded)


def test_undetectable_encoding_is_refused(tmp_path):
    path = write(tmp_path / "noise.txt", bytes(range(128, 256)) * 4)
    reason = refusal(path)
    assert reason == "not UTF-8 text and its encoding could not be detected"


def test_binary_renamed_txt_is_refused(tmp_path):
    path = write(tmp_path / "data.txt", os.urandom(4096) + b"\x00")
    assert "binary file" in refusal(path)


@pytest.mark.parametrize(
    "header, kind",
    [(PNG_HEADER, "PNG"), (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "ZIP")],
)
def test_image_or_archive_renamed_txt_is_refused(tmp_path, header, kind):
    path = write(tmp_path / "photo.txt", header + b"plain looking tail" * 10)
    reason = refusal(path)
    assert "binary file" in reason and kind in reason


def test_control_characters_are_refused(tmp_path):
    path = write(tmp_path / "term.txt", b"abc\x01\x02\x03def\x04\x05" * 50)
    assert "binary file" in refusal(path)


def test_empty_and_whitespace_only_are_refused(tmp_path):
    assert refusal(write(tmp_path / "empty.txt", b"")) == "the file is empty"
    whitespace = write(tmp_path / "blank.md", " \n\t\r\n \n")
    assert refusal(whitespace) == "the file holds only whitespace"
    assert refusal(write(tmp_path / "bom.txt", "\ufeff\n")) == "the file holds only whitespace"
    utf16 = write(tmp_path / "utf16.txt", " \r\n".encode("utf-16"))
    assert refusal(utf16) == "the file holds only whitespace"


def test_size_limit(tmp_path):
    path = write(tmp_path / "big.txt", "word " * 100)
    assert refusal(path, max_bytes=100) == ("500 bytes is over the 100 bytes limit; raise --max-file-mb")
    assert load(path, max_bytes=500).text == "word " * 100


def test_size_limit_message_in_megabytes(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: the loader must refuse without reading
        handle.truncate(int(21 * 1024 * 1024))
    assert refusal(path) == "21.0 MB is over the 20 MB limit; raise --max-file-mb"


def test_missing_path_and_directory(tmp_path):
    assert refusal(tmp_path / "nowhere.txt") == "no such file"
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert refusal(folder) == "is a folder, not a file"


def test_unsupported_suffix(tmp_path):
    path = write(tmp_path / "report.docx", b"PK\x03\x04")
    with pytest.raises(UnsupportedFormat) as caught:
        load(path)
    assert "'.docx' files are not supported" in caught.value.reason
    assert ".pdf" in caught.value.reason


def test_no_read_permission_is_refused(tmp_path, monkeypatch):
    # Tests run as root, whom chmod 000 does not stop; simulate the denial at os.access.
    path = write(tmp_path / "secret.txt", "Top secret.")
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    assert refusal(path) == "no permission to read the file"


def test_permission_error_while_opening_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path / "secret.txt", "Top secret.")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    assert refusal(path) == "no permission to read the file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_chmod_000_is_refused(tmp_path):
    path = write(tmp_path / "secret.txt", "Top secret.")
    path.chmod(0)
    assert refusal(path) == "no permission to read the file"


def test_markdown_front_matter(tmp_path):
    text = (
        "---\n"
        'title: "Leaders meet in Nara"\n'
        "author: Jane Doe\n"
        "date: 2026-01-13\n"
        "publisher: Example News\n"
        "---\n"
        "# Leaders meet in Nara\n\n"
        "The two leaders met on Tuesday.\n"
    )
    path = write(tmp_path / "story.md", text)
    loaded = load(path)
    assert loaded.text == text  # kept whole: offsets point into the file
    assert loaded.format == "md"
    assert loaded.meta.title == "Leaders meet in Nara"
    assert loaded.meta.author == "Jane Doe"
    assert loaded.meta.published == "2026-01-13"
    assert loaded.meta.publisher == "Example News"
    assert not needs_stored_text(loaded)


def test_markdown_without_front_matter_takes_its_first_heading_as_title(tmp_path):
    path = write(tmp_path / "plain.markdown", "# Title  #\n\n---\n\ntitle: not meta\n")
    loaded = load(path)
    assert loaded.meta.title == "Title"
    assert loaded.format == "md"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("---\nauthor: A\n---\nIntro line.\n\n## Second level first\n\nBody.\n", "Second level first"),
        ("Underlined title\n================\n\nBody text here.\n", "Underlined title"),
        ("No heading at all, only a sentence.\n", None),
        ("---\ntitle: From front matter\n---\n# Heading\n\nBody.\n", "From front matter"),
    ],
)
def test_markdown_title_sources(tmp_path, text, title):
    assert load(write(tmp_path / "a.md", text)).meta.title == title


# --- discovery ------------------------------------------------------------------------


def test_discover_walks_folders(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "b.txt", "B.")
    write(docs / "a.md", "A.")
    write(docs / "nested" / "deeper" / "c.html", "<p>C.</p>")
    write(docs / "nested" / "d.PDF", b"%PDF-1.4")
    write(docs / "notes.docx", b"PK")  # other formats inside folders are skipped quietly
    write(docs / ".hidden.txt", "hidden")
    write(docs / ".git" / "e.txt", "hidden folder")
    write(docs / "index" / "stored.txt", "the index's own files")
    paths, errors = discover([docs], exclude=[docs / "index"])
    assert paths == sorted([docs / "a.md", docs / "b.txt", docs / "nested" / "d.PDF", docs / "nested/deeper/c.html"])
    assert errors == []


def test_discover_reports_bad_explicit_paths(tmp_path):
    good = write(tmp_path / "good.txt", "Good.")
    docx = write(tmp_path / "report.docx", b"PK")
    paths, errors = discover([good, docx, tmp_path / "missing.txt", good])
    assert paths == [good]
    assert [type(e) for e in errors] == [UnsupportedFormat, UnreadableDocument]
    assert errors[0].path == str(docx)
    assert errors[1].reason == "no such file or folder"


def test_discover_and_load_many_files(tmp_path):
    docs = tmp_path / "docs"
    bad = {}
    for i in range(1000):
        folder = docs / f"part{i % 10}"
        if i % 100 == 7:
            bad[write(folder / f"{i:04}.txt", b"")] = "the file is empty"
        elif i % 100 == 42:
            bad[write(folder / f"{i:04}.txt", PNG_HEADER)] = "binary file"
        else:
            write(folder / f"{i:04}.txt", f"Article {i} says something.\n")
    paths, errors = discover([docs])
    assert len(paths) == 1000 and errors == []
    loaded, failed = {}, {}
    for path in paths:
        try:
            loaded[path] = load(path)
        except UnreadableDocument as error:
            failed[path] = error.reason
    assert len(loaded) == 980
    assert failed.keys() == bad.keys()
    assert all(bad[path] in reason for path, reason in failed.items())


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


# --- HTML ------------------------------------------------------------------------------

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Leaders meet in Nara as ties warm | Example News</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2026-01-13T09:30:00+09:00">
<meta property="og:site_name" content="Example News">
<meta property="og:url" content="https://news.example.com/2026/01/13/nara-summit">
<style>body { font-family: serif; } .STYLE_TEXT { display: none; }</style>
<script>alert(1); var tracking = "SCRIPT_TEXT";</script>
</head>
<body onload="alert('ONLOAD_TEXT')">
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<header><p>Sign up for our newsletter today!</p></header>
<main><article>
<h1>Leaders meet in Nara as ties warm</h1>
<p>Japanese Prime Minister Sanae Takaichi hosted South Korean President Lee Jae Myung in
the ancient city of Nara on Tuesday, in a summit both sides called a new chapter.</p>
<img src="x.png" onerror="alert('HANDLER_TEXT')" alt="The two leaders shake hands">
<p>Lee told the broadcaster NHK that the two countries should work together more closely
than ever, given the uncertain situation in North-east Asia.</p>
<p>The two leaders were expected to discuss supply chains, security and the North Korean<br>
missile programme over dinner.</p>
<script>document.write("INLINE_SCRIPT_TEXT")</script>
<noscript>NOSCRIPT_TEXT</noscript>
<ul><li>Trade and supply chains</li><li>Security, <b>including</b> North Korea</li></ul>
<p>Analysts said the meeting showed that shuttle diplomacy between the neighbours had
returned to a regular rhythm after years of tension.</p>
</article></main>
<footer><p>&copy; 2026 Example News. All rights reserved.</p>
<a href="/privacy">Privacy policy</a></footer>
</body>
</html>
"""


def test_news_page(tmp_path):
    loaded = load(write(tmp_path / "nara.html", NEWS_PAGE))
    assert loaded.format == "html" and needs_stored_text(loaded)
    paragraphs = loaded.text.split("\n\n")
    assert paragraphs[0] == "Leaders meet in Nara as ties warm"
    assert (
        "Japanese Prime Minister Sanae Takaichi hosted South Korean President Lee Jae Myung in "
        "the ancient city of Nara on Tuesday, in a summit both sides called a new chapter."
    ) in paragraphs
    assert "Lee told the broadcaster NHK" in loaded.text
    assert "Trade and supply chains" in paragraphs
    assert "Security, including North Korea" in paragraphs
    assert paragraphs[-1].startswith("Analysts said the meeting showed")
    # a <br> stays inside its paragraph as one newline
    assert any(p.endswith("the North Korean\nmissile programme over dinner.") for p in paragraphs)
    for hidden in ("SCRIPT_TEXT", "alert", "STYLE_TEXT", "font-family", "HANDLER", "ONLOAD"):
        assert hidden not in loaded.text
    for boilerplate in ("Privacy policy", "All rights reserved", "Sport", "newsletter"):
        assert boilerplate not in loaded.text
    assert loaded.meta.title == "Leaders meet in Nara as ties warm"
    assert loaded.meta.author == "Jane Doe"
    assert loaded.meta.published == "2026-01-13"
    assert loaded.meta.publisher == "Example News"
    assert loaded.meta.url == "https://news.example.com/2026/01/13/nara-summit"


def test_html_declared_charset(tmp_path):
    page = NEWS_PAGE.replace('charset="utf-8"', 'charset="windows-1252"').replace(
        "Analysts said", "Analysts at the café said"
    )
    loaded = load(write(tmp_path / "old.htm", page.encode("cp1252")))
    assert "Analysts at the café said" in loaded.text
    assert loaded.encoding == "cp1252"


def test_html_latin1_label_means_windows_1252(tmp_path):
    page = NEWS_PAGE.replace('charset="utf-8"', 'charset="iso-8859-1"').replace(
        "Analysts said", "Analysts said “quite clearly”"
    )
    loaded = load(write(tmp_path / "label.html", page.encode("cp1252")))
    assert "Analysts said “quite clearly”" in loaded.text


def test_html_undeclared_legacy_charset(tmp_path):
    page = NEWS_PAGE.replace('<meta charset="utf-8">', "").replace("Analysts said", "Analysts at the café said")
    loaded = load(write(tmp_path / "nolabel.html", page.encode("cp1252")))
    assert "Analysts at the café said" in loaded.text


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><script>var a = 1;</script><style>p { color: red }</style></head>"
        "<body><script>alert(2)</script></body></html>",
        "<html><body>   </body></html>",
        "<!-- only a comment -->",
    ],
)
def test_html_without_article_text_is_refused(tmp_path, page):
    assert refusal(write(tmp_path / "empty.html", page)) == "no article text found in the HTML"


def test_binary_renamed_html_is_refused(tmp_path):
    assert "binary file" in refusal(write(tmp_path / "x.html", PNG_HEADER + b"<p>x</p>"))


# --- PDF -------------------------------------------------------------------------------

PAGE_ONE = "Leaders met in Nara on Tuesday."
PAGE_TWO = "Lee told NHK the two countries should cooperate."


def text_pdf(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.setTitle("Nara summit")
    pdf.setAuthor("Jane Doe")
    for lines in pages:
        for n, line in enumerate(lines):
            pdf.drawString(72, 720 - 16 * n, line)
        pdf.showPage()
    pdf.save()
    return path


def test_text_pdf_pages(tmp_path):
    path = text_pdf(tmp_path / "two.pdf", [[PAGE_ONE, "A second line."], [PAGE_TWO]])
    loaded = load(path)
    assert loaded.format == "pdf" and needs_stored_text(loaded)
    assert len(loaded.pages) == 2
    (s1, e1), (s2, e2) = loaded.pages
    assert s1 == 0 and e1 <= s2 and e2 == len(loaded.text)
    assert loaded.text[e1:s2] == "\n\n"
    assert loaded.text[s1:e1] == f"{PAGE_ONE}\nA second line."
    assert loaded.text[s2:e2] == PAGE_TWO
    assert PAGE_TWO in loaded.text[s2:e2] and PAGE_TWO not in loaded.text[s1:e1]
    assert loaded.meta.title == "Nara summit" and loaded.meta.author == "Jane Doe"


def test_image_only_pdf_needs_ocr(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    for _ in range(2):
        pdf.setFillGray(0.4)
        pdf.rect(72, 400, 300, 200, fill=1)
        pdf.circle(300, 300, 50, fill=1)
        pdf.showPage()
    pdf.save()
    assert refusal(path) == "the PDF has no text layer (scanned?); it needs OCR first"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\nthis is not really a pdf\n%%EOF", b"just some text named .pdf", b"\x00" * 64],
)
def test_corrupt_pdf_is_refused(tmp_path, data):
    assert "not a readable PDF" in refusal(write(tmp_path / "broken.pdf", data))


def test_truncated_pdf_is_refused_or_read(tmp_path):
    whole = text_pdf(tmp_path / "whole.pdf", [[PAGE_ONE], [PAGE_TWO]]).read_bytes()
    path = write(tmp_path / "cut.pdf", whole[: len(whole) // 3])
    try:
        loaded = load(path)  # pypdf may recover what survives; it must never crash
    except UnreadableDocument as error:
        assert "\n" not in error.reason
    else:
        assert loaded.text.strip()


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_encrypted_pdf(tmp_path, algorithm):
    from pypdf import PdfReader, PdfWriter

    if algorithm.startswith("AES"):
        pytest.importorskip("cryptography")  # pypdf needs it for AES
    plain = text_pdf(tmp_path / "plain.pdf", [[PAGE_ONE]])
    for name, user_password in (("locked.pdf", "secret"), ("owner_only.pdf", "")):
        writer = PdfWriter(clone_from=PdfReader(plain))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
        with (tmp_path / name).open("wb") as handle:
            writer.write(handle)
    assert refusal(tmp_path / "locked.pdf") == "the PDF is encrypted and needs a password"
    assert load(tmp_path / "owner_only.pdf").text == PAGE_ONE
