"""Which paths the upload handler takes, and what it deletes: real files, links and folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.web import uploads
from assistant.web.same_origin import is_same_origin


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "gradio"
    (folder / "abc123").mkdir(parents=True)
    return folder


def test_only_regular_files_inside_the_upload_folder_are_taken(upload_dir: Path, tmp_path: Path) -> None:
    mine = upload_dir / "abc123" / "article.txt"
    mine.write_text("An article.\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("A secret.\n")
    link = upload_dir / "abc123" / "link.txt"
    link.symlink_to(outside)
    linked_folder = upload_dir / "elsewhere"
    linked_folder.symlink_to(tmp_path)
    climbing = upload_dir / "abc123" / ".." / ".." / "secret.txt"
    values = [str(mine), str(outside), str(link), str(linked_folder / "secret.txt"), str(climbing), str(upload_dir)]
    values += [str(upload_dir / "abc123"), "/etc/hostname", str(upload_dir / "missing.txt")]
    taken, refused = uploads.screen(values, upload_dir)
    assert taken == [mine]
    assert [str(e) for e in refused] == [
        f"{name}: not a file uploaded to this page"
        for name in (
            "secret.txt",
            "link.txt",
            "secret.txt",
            "secret.txt",
            "gradio",
            "abc123",
            "hostname",
            "missing.txt",
        )
    ]


def test_discard_deletes_uploads_and_their_empty_folder_and_nothing_else(upload_dir: Path, tmp_path: Path) -> None:
    mine = upload_dir / "abc123" / "article.txt"
    mine.write_text("An article.\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("A secret.\n")
    link = upload_dir / "link.txt"
    link.symlink_to(outside)
    uploads.discard([mine, outside, link], upload_dir)
    assert not mine.exists() and not (upload_dir / "abc123").exists()
    assert outside.read_text() == "A secret.\n" and link.is_symlink()
    assert upload_dir.is_dir()


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:7860", "127.0.0.1:7860", True),
        ("http://LOCALHOST:7860", "localhost:7860", True),
        ("https://news.example", "news.example", True),
        ("http://localhost:8000", "localhost:7860", False),
        ("http://127.0.0.1:7860", "localhost:7860", False),
        ("null", "127.0.0.1:7860", False),
        ("file://", "127.0.0.1:7860", False),
        ("http://127.0.0.1:7860", "", False),
    ],
)
def test_same_origin_is_the_same_host_and_port(origin: str, host: str, same: bool) -> None:
    assert is_same_origin(origin, host) is same
