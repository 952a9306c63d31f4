() => {
  // Citation chips open the cited sentence in the source panel, client-side only:
  // each answer carries its cited articles (hidden), so a click needs no request.
  if (window.__assistantCitations) return;
  window.__assistantCitations = true;

  function scrollPanel(active) {
    const box = document.querySelector("#source-panel .source-scroll");
    if (!box) return;
    const r = active.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    box.scrollTop += r.top - b.top - (box.clientHeight - r.height) / 2;
  }

  function openCitation(chip, intoView) {
    const n = chip.dataset.cite;
    const turn = chip.closest(".turn");
    const body = document.querySelector("#source-panel .source-body");
    if (!turn || !body || !/^\d+$/.test(n)) return;
    const selector = `mark.cite[data-cids~="${n}"]`;
    const original = turn.querySelector(`.turn-sources ${selector}`);
    if (!original) return;
    const article = original.closest(".source-doc").cloneNode(true);
    article.querySelectorAll("mark.cite-active").forEach((m) => m.classList.remove("cite-active"));
    const active = article.querySelector(selector);
    active.classList.add("cite-active");
    body.replaceChildren(article);
    const label = document.querySelector("#source-panel .source-label");
    const title = article.querySelector(".source-head h3");
    if (label) label.textContent = `Citation [${n}]` + (title ? ` · ${title.textContent}` : "");
    document.querySelectorAll(".cite-chip.selected").forEach((c) => c.classList.remove("selected"));
    turn.querySelectorAll(`.cite-chip[data-cite="${n}"]`).forEach((c) => c.classList.add("selected"));
    scrollPanel(active);
    if (intoView) active.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function latestTurn() {
    const turns = document.querySelectorAll("#transcript .turn");
    return turns[turns.length - 1];
  }

  // Bring the newest turn's start into the transcript's scroll box (not the window).
  window.assistantShowLatestTurn = () => {
    const box = document.getElementById("transcript");
    const last = latestTurn();
    if (!box || !last) return;
    box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top;
  };

  window.assistantOpenLatestCitation = () => {
    window.assistantShowLatestTurn();
    const last = latestTurn();
    const chip = last && last.querySelector(".cite-chip");
    if (chip) return openCitation(chip, false);
    // The newest answer cites nothing: do not leave an older citation on show.
    const body = document.querySelector("#source-panel .source-body");
    const label = document.querySelector("#source-panel .source-label");
    if (body) body.innerHTML = '<p class="muted">The latest reply cites no source.</p>';
    if (label) label.textContent = "Source";
    document.querySelectorAll(".cite-chip.selected").forEach((c) => c.classList.remove("selected"));
  };

  document.addEventListener("click", (event) => {
    const chip = event.target.closest && event.target.closest(".cite-chip");
    if (!chip) return;
    event.preventDefault();
    openCitation(chip, true);
  });
}
