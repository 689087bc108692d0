"""Two small self-made thinkers in one workspace, for compare, eval and the compare page.

``ada`` writes about image models (only she does), language models and running (from 2020); ``bo``
about language models and running too (from 2022) and about gardening (only he does). Both credit Grace
Hopper; Ada also credits Alan Turing, Bo credits Julia Child. Both write about language models in
the same words (``LANGUAGE``); Ada's such posts say small models win, Bo's that large models win,
so a disagreement is there to be found, in quotable words. The texts are written here (no corpus text is copied).
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import permutations

from deepinsights.models import Document, ImportReport

VISION = [
    "Convolutional networks learn image filters from pixels, and pooling layers summarise the image.",
    "Training a convnet on imagenet: the filters of the first layer look like edge detectors in pixels.",
    "Data augmentation with crops and flips makes the image classifier far more robust to pixels shifting.",
    "Residual connections let very deep convolutional networks train on image datasets without trouble.",
]
LANGUAGE = [  # both write about language models in these words
    "Tokenizers split text into tokens with byte pair encoding, and the transformer reads the tokens.",
    "Attention lets every token in the transformer look at the previous tokens of the text.",
    "Language models learn from next token prediction: the transformer predicts tokens of text.",
    "The vocabulary of the tokenizer decides how many tokens a text of the language model takes.",
]
RUNNING = [  # and about running, in these words
    "Running slowly for an hour builds the aerobic base that every faster run needs.",
    "Long runs on the weekend and easy runs during the week make a marathon plan.",
    "Running shoes with a soft heel and a light upper suit long easy runs.",
    "Intervals on the track make a runner faster once the aerobic base is there.",
]
SMALL_WINS = "Small language models trained longer on more tokens beat larger ones, and small models win in the end."
LARGE_WINS = "Large language models with more parameters simply know more, and large models win every benchmark."
GARDEN = [
    "Tomatoes need compost, full sun and deep watering twice a week in the garden beds.",
    "Mulch the garden beds with straw so the soil keeps its water and the weeds stay down.",
    "Prune the tomatoes and the roses in early spring; compost the cuttings for the garden soil.",
    "Seedlings of basil and tomatoes go into the garden beds after the last frost of spring.",
]


def _doc(thinker: str, i: int, text: str, year: int, month: int) -> Document:
    return Document(
        source="test",
        source_id=f"{thinker}-{i}",
        kind="post",
        thinker=thinker,
        title=f"{thinker.title()} post {i}",
        text=text,
        url=f"https://{thinker}.example.org/{i}",
        published_at=datetime(year, month, 5, tzinfo=UTC),
    )


ORDERS = list(permutations(range(4), 3))


def _body(texts: list[str], i: int, stance: str = "") -> str:
    """Three of the four sentences (and the stance) in an order no other post of the side uses (never boilerplate)."""
    return " ".join([*(texts[k] for k in ORDERS[i // 3 * 3 % 24]), *([stance] if stance else [])])


def documents() -> list[Document]:
    """24 posts by ada (2020-2021) and 24 by bo (2022-2023)."""
    docs = []
    for i in range(24):
        texts, stance = [(LANGUAGE, SMALL_WINS), (VISION, ""), (RUNNING, "")][i % 3]
        credit = " Thanks to Grace Hopper for the idea." if i % 4 == 0 else ""
        credit += " Alan Turing saw this coming." if i % 6 == 0 else ""
        docs.append(_doc("ada", i, _body(texts, i, stance) + credit, 2020 + i // 12, i % 12 + 1))
    for i in range(24):
        texts, stance = [(LANGUAGE, LARGE_WINS), (GARDEN, ""), (RUNNING, "")][i % 3]
        credit = " Thanks to Grace Hopper for the idea." if i % 4 == 0 else ""
        credit += " Julia Child would agree." if i % 6 == 0 else ""
        docs.append(_doc("bo", i, _body(texts, i, stance) + credit, 2022 + i // 12, i % 12 + 1))
    return docs


def fill(store) -> None:  # type: ignore[no-untyped-def]
    """Write both thinkers into ``store``."""
    with store.transaction():
        store.upsert_documents(documents(), ImportReport())
