"""Predictions: sentences in the thinker's own words that state an expectation about the future.

A sentence qualifies when it looks ahead (a future modal, "eventually", "soon", a time ahead)
and carries a forecast cue: the speaker's belief about what will happen ("I expect", "I bet",
"I think … will", "I imagine we'll see"), a horizon ("in the next ten years", "by 2030", "in
the near future"), a word of certainty about the future ("will inevitably", "will soon", "is
bound to", "may eventually"), the world changing ("X will replace Y", "is going to
transform"), or "the future of X". It does not qualify when it is narration or instruction (a
tutorial's "we will now …", "let's", "you'll need", "if you …, it will"), what code does when
run ("will return"), the speaker's own plan ("I'll write", "I expect to use"), someone else's
view reported ("Jane Doe argues that …"), a question, or when it holds anyone else's words.
Speech captions without punctuation are read as spoken clauses (``prose.sentences``), where
narration rules apply to every cue, since a lecture narrates what the code is about to do.

Each keeps its date made, its horizon when it states one, the passage, and the later own-word
passages that revisit the same claim: close to it in meaning (cosine of passage vectors) and
sharing at least two of its distinctive words. Those are candidate evidence for resolving it,
not verdicts. This module reads own words only (``own.py``); it does not decide whether a
prediction came true.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from wordfreq import zipf_frequency

from .own import OwnPassage
from .prose import GAP, is_unpunctuated, sentences, words
from .topics import STOP_WORDS
from .vectors import Matrix

MODAL = r"(?:will|won't|'ll|shall|(?:is|are|am|'s|'re|'m) (?:not )?going to|gonna)"
YEARS = r"(?:\d+|a few|a couple of|several|ten|five|two|three|four|twenty|fifty|a hundred)"
# Every forecast looks ahead in its own words: a future modal, a word of time ahead, "expect …
# to". Case-sensitive "future" is not required: "the Future of Web Apps" is a conference and is
# kept out below by the lower-case "the future of".
AHEAD = re.compile(
    r"\b(?:will|'ll|won't|going to|gonna|shall|soon|eventually|someday|some day|one day|sooner or later|"
    r"future|years from now|next (?:year|decade|few)|coming (?:years|decade|months)|bound to|likely to|"
    r"(?:expect|anticipate)\w* (?:\w+ ){0,3}to)\b"
    r"|\bby (?:19|20)\d\d\b"
)
# The speaker's belief about what will happen (the clause after the verb: ``_belief``)
BELIEF = re.compile(
    r"(?<!than )\bi(?:'m| am)? (?:fully |also |still |really |strongly |do |don't |do not |would )?"
    r"(?:expect|predict|bet|anticipate|forecast|suspect|think|believe|imagine|guess|reckon|doubt|wouldn't be surprised|"
    r"(?:'m|am) (?:confident|"
    r"convinced|certain|sure|optimistic|pessimistic|willing to bet))(?: that)?\b(?P<rest>[^.;:]{0,140})",
    re.IGNORECASE,
)
HORIZON = re.compile(
    r"\b(?:by (?:19|20)\d\d|in the (?:next|coming) "
    + YEARS
    + r" (?:years|decades|months)|in the next (?:year|decade)|"
    + YEARS
    + r" years from now|within (?:the next )?"
    + YEARS
    + r" years|(?:in|over) the (?:near|long|distant|foreseeable) (?:future|term)|"
    r"(?:the next|the coming) (?:decade|year|few years)|this decade|the decade of \w+)\b",
    re.IGNORECASE,
)
CERTAIN = re.compile(
    r"\b(?:(?:will|'ll|are going to|is going to) (?:soon|inevitably|eventually|increasingly|almost certainly|"
    r"certainly|surely|undoubtedly|one day|someday|never again)|(?:may|might|could|should|would) (?:well )?"
    r"(?:eventually|someday|one day|soon)|(?:is|are) (?:bound|destined|poised) to|"
    r"sooner or later|(?:it's|it is) (?:only )?a matter of time|"
    r"^(?:one day|someday|some day|eventually|soon)\b[^.]*\b(?:will|'ll)|"
    r"(?:will|'ll|won't|(?:is|are|'s|'re) going to) (?:probably|likely|most likely|almost certainly|definitely|surely)|"
    r"\b(?:probably|presumably|likely|perhaps|maybe)\b[^.,;]{0,50}\b(?:will|'ll|won't|going to)\b|"
    r"(?:will|won't|is going to|are going to) [^.]{0,60}\b(?:anytime soon|in the (?:near|long|distant) (?:future|"
    r"term))|"
    r"(?:we|you|people) (?:can|should) expect|^expect to see|"
    r"(?:we're|we are|we'll|we will) (?:going to )?(?:start to |begin to )?see (?:a lot|lots|more|many|an?)|"
    r"(?:is|are) the future\b|the future of \w+ (?:is|will|looks|belongs))",
    re.IGNORECASE,
)
CHANGE = re.compile(
    r"\b(?:will|'ll|won't|(?:is|are|'s|'re) going to) (?:probably |likely |never |not |also |really |"
    r"dramatically |completely |fundamentally )?(?:replace|change|transform|revolutioni[sz]e|take over|"
    r"disappear|dominate|win|kill|eat|obsolete|disrupt|overtake|surpass|outperform|render|make \w+ obsolete|"
    r"become (?:the|a|an|more|less|increasingly|much)|matter|improve|accelerate|catch (?:out|on)|arrive|"
    r"emerge|explode|spread|grow|shrink|decline|fade|die|end up|lead to|open up|enable|unlock)\b",
    re.IGNORECASE,
)
# Tutorial and code narration no cue survives: "we will now", "this will print", "let's"
ALWAYS_NARRATION = re.compile(
    r"\b(?:let's|let us|we(?:'ll| will| are going to|'re going to| shall) (?:now|then|next|also|just|"
    r"see (?:how|that|what|why|if|whether)|look|implement|build|write|take|start|go|use|need|have|get|do|talk|come|try|"
    r"train|cover|find|produce|"
    r"add|call|create|define|run|make|initialize|compute|calculate|plot|print|set|keep|want|discuss|explore|"
    r"walk|learn|focus|dive|review|return|continue|leave|stop|be (?:doing|using|looking|building|talking))|"
    r"will (?:become|be made) (?:more )?clear|"
    r"in the (?:next|following|previous) (?:section|video|lecture|post|step|part|chapter|example|cell|line)|(?:will|"
    r"'ll) (?:return|print|output|raise|throw|execute|install|display|log|"
    r"save|load|write|read|create|generate|open|fetch|render|compile)\b|"
    r"(?:you|you'll|you will|you'd|you're going to) (?:need|want|have to|see|get|find|notice|be able)|"
    r"\bif you\b|\bwhen you\b|\bnext time\b)\b",
    re.IGNORECASE,
)
# Weaker narration marks: a weak cue (certainty, change) is not a forecast beside them
NARRATION = re.compile(
    r"\b(?:we|we'll|we're|you|you'll|your|you're|here|below|above|this post|this video|this lecture|"
    r"this code|this function|this script|this tool|this command|this plugin|this release|this will|it will|"
    r"that will|which will)\b",
    re.IGNORECASE,
)
# Narration of what is about to happen on screen, and what a lecture's forecast must hold besides
SPOKEN = re.compile(r"\b(?:what(?:'s| is) going to happen|this is going to|it's going to|that's going to)\b", re.I)
SPOKEN_AHEAD = re.compile(r"\b(?:eventually|in the future|soon|years|decade|someday|one day|going forward)\b", re.I)
# A conditional or temporal clause first ("If the file exists it will…", "Once installed…")
CONDITION = re.compile(r"^(?:if|when|whenever|once|unless|after|before|as soon as)\b", re.IGNORECASE)
# The future clause is the speaker's own plan: "I'll", "I will", "I'm going to", "I expect to use"
OWN_PLAN = re.compile(
    r"^\W*(?:that )?(?:(?:going forward|in future|from now on|next|then|soon),? )?"
    r"(?:i(?:'ll| will| won't| shall|'m going to| am going to| plan| intend| hope| want| need|'d like| would like)"
    r"|to (?!see\b|happen\b|be\b|become\b|change\b|arrive\b|find\b|hear\b|emerge\b|grow\b|get\b))",
    re.IGNORECASE,
)
EXPECT = re.compile(r"\bi (?:fully |also |still |really )?(?:expect|anticipate|predict)\b", re.IGNORECASE)
# A hope or a wish is not an expectation
HOPE = re.compile(r"\b(?:i(?:'m| am)? (?:really |still )?(?:hope|hoping|wish)|hopefully)\b", re.IGNORECASE)
# Someone else's view, reported: "Jane Doe argues that…", "according to…"
REPORTED = re.compile(
    r"^(?:[A-Z][\w'’.-]+ ){1,4}(?:explains|argues|says|claims|predicts|thinks|believes|suggests|describes|"
    r"points out|notes|writes|reckons|speculates|expects|proposes|makes the case|on why|on how)\b|\baccording to\b"
)
LIMIT = 100
REVISITS = 3
REVISIT_COSINE = 0.3
SHARED_WORDS = 2
DISTINCTIVE_ZIPF = 5.0


@dataclass
class Prediction:
    """A forecast sentence with its passage, date, horizon and later passages on the same claim."""

    text: str
    made: str | None
    horizon: str | None
    passage: OwnPassage
    index: int
    revisits: list[OwnPassage] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "made": self.made,
            "horizon": self.horizon,
            "status": "open",
            "own_words": True,
            "source": self.passage.as_example(),
            "revisits": [p.as_example() for p in self.revisits],
        }


def predictions_in(passage: OwnPassage, index: int, limit_chars: int = 300) -> list[Prediction]:
    """The forecast sentences of one own-word passage (``index``: its row in the passage list)."""
    found = []
    spoken = is_unpunctuated(passage.text)
    for sentence in sentences(passage.text):
        if sentence.endswith("?") or GAP.strip() in sentence or not is_forecast(sentence, spoken=spoken):
            continue
        horizon = HORIZON.search(sentence)
        made = (passage.published_at or "")[:10] or None
        if horizon and made and _past(horizon.group(0), made):
            continue  # "by 2011" written in 2015 looks back
        found.append(Prediction(sentence[:limit_chars], made, horizon.group(0) if horizon else None, passage, index))
    return found


def is_forecast(sentence: str, *, spoken: bool = False) -> bool:
    """True for a sentence that states an expectation (see the module docstring); ``spoken``:
    a clause of unpunctuated speech, where every cue must be clear of narration."""
    if ALWAYS_NARRATION.search(sentence) or REPORTED.search(sentence) or not AHEAD.search(sentence):
        return False
    narrated = bool(NARRATION.search(sentence)) or bool(CONDITION.search(sentence)) or bool(SPOKEN.search(sentence))
    belief = _belief(sentence)
    if not belief and HOPE.search(sentence):
        return False
    horizon = HORIZON.search(sentence) and re.search(MODAL + r"|\bexpect", sentence, re.IGNORECASE)
    if spoken:  # a lecture narrates what is about to happen on screen: only a belief about the future counts
        return bool(belief) and not narrated and bool(horizon or SPOKEN_AHEAD.search(sentence))
    if belief is not None:
        return belief
    if horizon:
        return not _plan_only(sentence)
    strong = CERTAIN.search(sentence) or CHANGE.search(sentence)
    return bool(strong) and not narrated and not _plan_only(sentence)


def _belief(sentence: str) -> bool | None:
    """None without a belief cue; else whether one states an expectation that is not a plan."""
    verdicts = []
    for m in BELIEF.finditer(sentence):
        rest = m.group("rest")
        looks_ahead = re.search(MODAL + r"|\bto see\b", rest, re.IGNORECASE) or (
            EXPECT.match(m.group(0)) and re.match(r"\s*(?:[\w'-]+ ){1,4}to \w+", rest)
        )
        if looks_ahead or re.match(r"\s*(?:\w+ ){0,4}to \w+", rest):
            verdicts.append(bool(looks_ahead) and not OWN_PLAN.match(rest))
    return any(verdicts) if verdicts else None


def _plan_only(sentence: str) -> bool:
    """True when every future modal in the sentence has the speaker as its subject ("I'll …")."""
    modals = list(re.finditer(MODAL, sentence, re.IGNORECASE))
    own = [m for m in modals if re.search(r"\bi(?:'m| am)?\s*$|\bi$", sentence[: m.start()].rstrip(), re.IGNORECASE)]
    return bool(modals) and len(own) == len(modals)


def find_predictions(passages: list[OwnPassage], vectors: Matrix, limit: int = LIMIT) -> list[Prediction]:
    """Forecasts from own words, dated ones with a horizon first, each with its revisits."""
    found: list[Prediction] = []
    seen: set[str] = set()
    for i, passage in enumerate(passages):
        for prediction in predictions_in(passage, i):
            key = prediction.text.lower()[:80]
            if key not in seen:
                seen.add(key)
                found.append(prediction)
    ranked = sorted(found, key=lambda p: (p.made is None, p.horizon is None, p.made or "", p.index))[:limit]
    for prediction in ranked:
        prediction.revisits = revisits(prediction, passages, vectors)
    return ranked


def revisits(prediction: Prediction, passages: list[OwnPassage], vectors: Matrix) -> list[OwnPassage]:
    """Later own-word passages of other documents close to the prediction's passage in meaning
    that share at least ``SHARED_WORDS`` of the prediction's distinctive words. ``passages`` are
    in date order (undated first), as ``own_passages`` returns them."""
    distinctive = _distinctive(prediction.text)
    if not prediction.made or not len(vectors) or len(distinctive) < SHARED_WORDS:
        return []
    dates = [(p.published_at or "")[:10] for p in passages]
    start = bisect.bisect_right(dates, prediction.made)
    closeness = vectors[start:] @ vectors[prediction.index]
    out: list[OwnPassage] = []
    for j in np.argsort(-closeness, kind="stable"):
        if closeness[j] < REVISIT_COSINE or len(out) == REVISITS:
            break
        candidate = passages[start + int(j)]
        if (
            candidate.document_id != prediction.passage.document_id
            and len(distinctive & set(candidate.words)) >= SHARED_WORDS
        ):
            out.append(candidate)
    return out


def _past(horizon: str, made: str) -> bool:
    year = re.search(r"(?:19|20)\d\d", horizon)
    return bool(year) and year.group(0) <= made[:4]  # type: ignore[union-attr]


def _distinctive(sentence: str) -> set[str]:
    return {w for w in words(sentence) if w not in STOP_WORDS and zipf_frequency(w, "en") < DISTINCTIVE_ZIPF}
