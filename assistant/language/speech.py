"""The verbs news uses to report speech, in one place.

Each reader of text takes the forms it needs: segmentation keeps a quoted question with
its speaker, features find who speaks, a question's speech verb asks for someone's words.
The lists differ on purpose (a question asks "What did X think?", a sentence reports "X
said"); they live together so that a verb added for one is seen beside the others.
"""

from __future__ import annotations

# '"Why now?" Lee asked.': the tag after a quoted question or exclamation (segmentation)
QUOTE_TAG = (
    "said", "says", "asked", "asks", "added", "adds", "told", "tells", "wrote", "writes", "replied", "replies",
    "noted", "explained", "insisted", "continued", "recalled", "argued", "warned", "stressed", "stated",
    "shouted", "exclaimed", "wondered", "quipped", "declared", "posted", "tweeted",
)  # fmt: skip
# a sentence that reports speech, and the window a speaker stands in (features)
REPORTED = (
    "said", "says", "told", "tells", "telling", "added", "noted", "warned", "stressed", "argued", "believed",
    "described", "characteri[sz]ed",
)  # fmt: skip
# 'he said', 'she told': a pronoun speaker (features)
PRONOUN = ("said", "says", "told", "added", "noted", "warned", "stressed", "argued")
# 'officials say', 'analysts believe': speakers named by their role as a group (features)
GROUP = ("say", "says", "said", "told", "tell", "warned", "warn", "noted", "note", "added", "stressed", "argued",
         "believe", "believed")  # fmt: skip
# '“…,” said the minister' (features: the role named just before)
ROLE_BEFORE = ("said", "says", "added", "noted", "warned", "stressed")
# '“…,” the energy minister said'
ROLE_AFTER = (*ROLE_BEFORE, "told")
# statements that are someone's words, for twins of a quote (composition)
ATTRIBUTION = ("said", "says", "told", "tells", "added", "stressed", "noted", "warned")
# 'What did X say/think/claim …?': a question asking for someone's words (question analysis)
ASKED = (
    "say", "said", "says", "tell", "told", "tells", "think", "thought", "believe", "believed", "describe",
    "described", "characteri[sz]e", "characteri[sz]ed", "comment", "commented", "claim", "claimed", "warn",
    "warned", "argue", "argued",
)  # fmt: skip

# 'Lee said …', 'Takaichi suggested …': a claim that puts words in someone's mouth (claim checking)
CLAIMED = (
    "said", "says", "told", "tells", "added", "noted", "warned", "stressed", "argued", "believes", "believed",
    "thinks", "thought", "claimed", "claims", "suggested", "suggests", "stated", "states", "insisted",
    "insists", "proposed", "proposes", "urged", "urges", "called", "calls", "wants", "wanted", "described",
    "denied", "denies", "admitted", "admits", "promised", "promises", "pledged", "pledges", "vowed", "vows",
    # after 'did' / 'does' (a yes/no question's claim: 'Lee did say …')
    "say", "tell", "think", "believe", "suggest", "claim", "state", "insist", "propose", "urge", "call",
    "want", "warn", "argue", "deny", "admit", "promise", "pledge", "vow",
)  # fmt: skip


def verbs(forms: tuple[str, ...]) -> str:
    """A regular-expression alternation of ``forms``, in their order."""
    return "|".join(forms)
