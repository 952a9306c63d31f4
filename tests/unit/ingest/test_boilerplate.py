"""Page furniture is labelled by kind, never cut out of the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.segment import segment

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def read(name: str) -> str:
    return (SEEDS / name).read_bytes().decode("utf-8")


def labelled(text: str, fmt: str = "txt") -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in segment(text, fmt)]  # type: ignore[arg-type]


def kind_of(pairs: list[tuple[str, str]], prefix: str) -> list[str]:
    return [kind for text, kind in pairs if text.startswith(prefix)]


def test_seed_000_furniture() -> None:
    pairs = labelled(read("000_c282072937a0cf8e.txt"))
    assert pairs[0] == ("Sign up now: Get insights on Asia's fast-moving developments", "promo")
    assert pairs[1][1] == "caption" and "(right)" in pairs[1][0]
    # The one-line summary bullet is article text.
    assert pairs[2][1] == "body" and pairs[2][0].endswith("over its stance on Taiwan.")
    assert kind_of(pairs, "Bitter memories") == ["section"]
    assert pairs[-1] == ("AFP", "credit")
    assert pairs[-2][1] == "body" and pairs[-2][0].endswith("front yard”.")
    non_body = [p for p in pairs if p[1] != "body"]
    assert [k for _, k in non_body] == ["promo", "caption", "section", "credit"]


def test_seed_003_furniture() -> None:
    pairs = labelled(read("003_64419fa70da9995d.txt"))
    title = "Japan and South Korea Hold Summit in Nara as China Steps Up Pressure Over Taiwan"
    assert pairs[:4] == [
        ("CRBC News", "furniture"),
        ("Politics", "furniture"),
        (title, "headline"),
        (title, "furniture"),
    ]
    assert pairs[4][1] == "caption" and pairs[4][0].endswith("(David MAREUIL/POOL/AFP)")
    assert pairs[5][1] == "body"
    assert kind_of(pairs, "Geopolitical Incentive") == ["section"]
    assert kind_of(pairs, "Bitter Memories") == ["section"]
    assert pairs[-3:] == [
        ("Help us improve.", "furniture"),
        ("Related Articles", "furniture"),
        ("Trending", "furniture"),
    ]
    non_body = [k for _, k in pairs if k != "body"]
    assert (
        non_body
        == ["furniture", "furniture", "headline", "furniture", "caption", "section", "section"] + ["furniture"] * 3
    )


ARTICLE = "\n\n".join(
    [
        "The summit opened on Tuesday in the old capital. Leaders smiled for cameras.",
        "Officials said the talks covered trade, security and technology.",
        "Analysts expect more meetings this year. Few expect a breakthrough.",
        "The leaders will meet again in the spring, according to officials.",
    ]
)


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Read more: Leaders meet in Nara",
        "Share this article",
        "Most read",
        "Recommended",
        "Follow us on Twitter",
        "Copyright 2026 Example News. All rights reserved.",
        "© 2026 Example Media",
        "All rights reserved.",
        "You may also like",
    ],
)
def test_end_of_page_furniture(line: str) -> None:
    text = f"{ARTICLE}\n\n{line}\n"
    spans = segment(text)
    tail = [s for s in spans if s.start >= len(ARTICLE)]
    assert text[tail[0].start : tail[-1].end] == line
    assert {s.kind for s in tail} == {"furniture"}
    assert {s.kind for s in spans if s.start < len(ARTICLE)} == {"body"}


def test_everything_after_related_articles_is_furniture() -> None:
    text = f"{ARTICLE}\n\nRelated Articles\n\nLeaders meet in Nara\n\nChina curbs exports of rare earths.\n"
    pairs = labelled(text)
    assert [k for _, k in pairs[-3:]] == ["furniture"] * 3


@pytest.mark.parametrize(
    "caption",
    [
        "The leaders shake hands in Nara (Kim Min-ji/AFP)",
        "Photo: Reuters",
        "The prime minister (left) greets the president.",
        "The president (pictured) arrives in Nara.",
        "Protesters gather outside (File photo)",
        "Leaders at the summit. Getty Images",
    ],
)
def test_captions_near_the_top(caption: str) -> None:
    text = f"Leaders Meet in Nara Amid Tensions\n\n{caption}\n\n{ARTICLE}"
    pairs = labelled(text)
    assert pairs[0] == ("Leaders Meet in Nara Amid Tensions", "headline")
    caption_kinds = {k for t, k in pairs if caption.startswith(t) or t in caption}
    assert caption_kinds == {"caption"}
    assert pairs[-1][1] == "body"


def test_photo_credit_mid_article_is_a_caption() -> None:
    text = f"{ARTICLE}\n\nSmoke rises over the port (John Doe/Reuters)\n\n{ARTICLE}"
    assert ("Smoke rises over the port (John Doe/Reuters)", "caption") in labelled(text)


def test_position_markers_in_prose_stay_body() -> None:
    # "(left)" is a caption marker only at the top of the page.
    text = f"{ARTICLE}\n\nThe minister (left) and the envoy spoke for an hour.\n\n{ARTICLE}"
    assert ("The minister (left) and the envoy spoke for an hour.", "body") in labelled(text)


@pytest.mark.parametrize(
    "promo",
    ["Subscribe to our daily briefing", "Get the latest news on Asia", "Sign up for our newsletter here"],
)
def test_promos_at_the_top(promo: str) -> None:
    pairs = labelled(f"{promo}\n\n{ARTICLE}")
    assert pairs[0] == (promo, "promo")
    assert all(k == "body" for _, k in pairs[1:])


def test_labels_before_the_headline() -> None:
    text = f"Example Daily\nWorld\n\nLeaders Meet in Nara Amid Rising Tensions\n\n{ARTICLE}"
    pairs = labelled(text)
    assert pairs[:3] == [
        ("Example Daily", "furniture"),
        ("World", "furniture"),
        ("Leaders Meet in Nara Amid Rising Tensions", "headline"),
    ]


def test_short_title_without_labels_is_the_headline() -> None:
    pairs = labelled(f"Leaders Meet\n\n{ARTICLE}")
    assert pairs[0] == ("Leaders Meet", "headline")


def test_byline_is_a_credit() -> None:
    pairs = labelled(f"Leaders Meet in Nara Amid Tensions\n\nBy Jane Smith\n\n{ARTICLE}")
    assert pairs[1] == ("By Jane Smith", "credit")


@pytest.mark.parametrize("credit", ["AFP", "Reuters", "— AFP", "(AFP)", "AFP/Reuters"])
def test_trailing_credit_line(credit: str) -> None:
    pairs = labelled(f"{ARTICLE}\n\n{credit}\n")
    assert pairs[-1] == (credit, "credit")


@pytest.mark.parametrize(
    ("ending", "last", "credit"),
    [("”. AFP", "”.", "AFP"), ("”.AFP", "”.", "AFP"), (". Reuters", ".", "Reuters"), ("”. (AFP)", "”.", "(AFP)")],
)
def test_trailing_credit_glued_to_last_sentence(ending: str, last: str, credit: str) -> None:
    pairs = labelled(ARTICLE[:-1] + ending)
    assert pairs[-2] == ("The leaders will meet again in the spring, according to officials" + last, "body")
    assert pairs[-1] == (credit, "credit")


def test_subheadings_between_paragraphs() -> None:
    text = f"{ARTICLE}\n\nEconomic Stakes\n\n{ARTICLE}\n\nThe measures include:\n\n- tariffs\n\nBottom line"
    pairs = labelled(text)
    assert ("Economic Stakes", "section") in pairs
    assert ("The measures include:", "body") in pairs
    assert pairs[-1] == ("Bottom line", "furniture")  # a short line ending the page is not a subheading


def test_prose_that_looks_like_furniture_stays_body() -> None:
    lines = [
        "Copyright law was the main topic of the debate on Tuesday.",
        "Follow the money, the senator told reporters.",
        "Published in 2019, the report found deep cuts.",
        "Trending topics on social media included the summit itself.",
    ]
    text = ARTICLE + "\n\n" + "\n\n".join(lines) + "\n\n" + ARTICLE
    pairs = dict(labelled(text))
    assert [pairs[line] for line in lines] == ["body"] * 4


def test_labels_never_rewrite_the_text() -> None:
    text = read("003_64419fa70da9995d.txt")
    spans = segment(text)
    assert all(text[s.start : s.end].strip() == text[s.start : s.end] for s in spans)
    # Every non-space character of the article is covered by some span.
    covered = sum(s.end - s.start for s in spans)
    assert covered >= len("".join(text.split())) * 0.95


def test_page_top_widgets() -> None:
    text = (
        "Will Seoul and Tokyo Mend Ties?\n\nBy Jane Smith, Reuters\n\nTue, 13 Jan 2026, 10:30 am SGT\n\n"
        f"3 min read\n\nREUTERS/Issei Kato\n\n{ARTICLE}"
    )
    pairs = labelled(text)
    assert pairs[:5] == [
        ("Will Seoul and Tokyo Mend Ties?", "headline"),
        ("By Jane Smith, Reuters", "credit"),
        ("Tue, 13 Jan 2026, 10:30 am SGT", "furniture"),
        ("3 min read", "furniture"),
        ("REUTERS/Issei Kato", "caption"),
    ]
    assert {k for _, k in pairs[5:]} == {"body"}


def test_read_more_link_mid_article_does_not_end_the_article() -> None:
    text = f"{ARTICLE}\n\n{ARTICLE}\n\nRead more: Leaders meet in Nara\n\nThe talks ended late at night."
    pairs = labelled(text)
    assert pairs[-2:] == [("Read more: Leaders meet in Nara", "furniture"), ("The talks ended late at night.", "body")]
