"""The healthcare override lexicon for English (docs/methods.md §5.1-§5.2): what VADER, built
for social-media text, misses in patient comments.

Two parts, both on VADER's scale (-4 to +4, the mean a rater would give):

- WORDS: single words VADER's lexicon does not have. The override only adds words; it never
  changes the valence VADER gives a word it knows, so any comment without these words or the
  phrases below scores exactly as VADER scores it.
- PHRASES: complaint and praise patterns whose words carry no valence, or the wrong one. Each
  family names what it stands for and why; none is a sentence from a test.

The valences are set by analogy with VADER's own entries ("rude" -2.0, "horrible" -2.5, "wrong"
-2.1, "helpful" +1.8) and the evidence on what drives negative feedback in patient comments
(rudeness, apathy, not listening, waiting: Brookes & Baker 2017).
"""

from __future__ import annotations

import re
from typing import Final

from carebond.surveys.comments.overrides import PhraseRule, rule, time_valence
from carebond.surveys.comments.text import DURATION, alternation, duration_minutes

WORDS: Final[dict[str, float]] = {
    # manner
    "dismissive": -2.0,
    "condescending": -2.1,
    "patronizing": -2.0,
    "patronising": -2.0,
    "disrespectful": -2.1,
    "uncaring": -2.0,
    "unempathetic": -1.8,
    "unhelpful": -1.8,
    "unprofessionally": -2.0,
    "judgmental": -1.9,
    "judgemental": -1.9,
    "belittling": -2.0,
    "mistreated": -2.3,
    "polite": 1.9,
    "politely": 1.7,
    "professional": 1.5,
    "attentive": 2.0,
    "empathetic": 2.0,
    "accommodating": 1.6,
    "apologetic": 1.0,
    # care and communication
    "rushed": -1.5,
    "negligent": -2.5,
    "negligence": -2.5,
    "sloppy": -1.6,
    "unresponsive": -1.6,
    "knowledgeable": 1.8,
    "thorough": 1.6,
    "thoroughly": 1.5,
    "informative": 1.4,
    # organisation and time
    "nightmare": -2.7,
    "nightmarish": -2.7,
    "understaffed": -1.2,
    "disorganised": -1.2,
    "unorganized": -1.2,
    "hassle": -1.5,
    "punctual": 1.4,
    "seamless": 1.5,
    # premises
    "filthy": -2.6,
    "unsanitary": -2.2,
    "unhygienic": -2.2,
    "smelly": -1.6,
    "spotless": 2.0,
    # cost
    "overcharged": -2.0,
    "overbilled": -2.0,
    "overpriced": -1.6,
    "unaffordable": -1.8,
}

_WAIT_VERB = (
    r"(?:waited|waiting|wait|waits|sat|sitting|stuck|on hold|kept (?:me |us )?waiting"
    r"|had to wait|have to wait|been waiting)"
)
_QUANTITY = (
    r"(?:(?:over|more than|almost|nearly|about|around|close to|at least|well over|roughly|"
    r"another|an extra|a good|a full|for|only|just|less than|under|barely)\s+)*"
)
_NEGATIONS = (
    "did not", "didn't", "does not", "doesn't", "do not", "don't", "would not", "wouldn't",
    "will not", "won't", "could not", "couldn't", "cannot", "can't", "can not", "never", "not",
    "refused to", "failed to", "has not", "hasn't", "have not", "haven't", "had not", "hadn't",
    "was not", "wasn't", "were not", "weren't", "is not", "isn't",
)  # fmt: skip
# with and without the apostrophe ("didnt" is common in comments typed on a phone)
_NOT = "(?:" + alternation(_NEGATIONS + tuple(n.replace("'", "") for n in _NEGATIONS)) + ")"
_NOBODY = r"(?:no one|no-one|noone|nobody|none of the staff|not one person|not a single person)"
_ACTIONS = (
    r"(?:called|calls|call|answered|answers|answer|returned|returns|apologized|apologised|"
    r"apologizes|apologises|explained|explains|explain|told|tells|tell|came|comes|checked|"
    r"checks|followed up|follows up|got back|gets back|responded|responds|helped|helps|"
    r"informed|informs|updated|bothered|cared|cares|offered|showed|acknowledged|greeted|"
    r"picked up|picks up|listened|listens)"
)
_DELAY_VERB = r"(?:took|takes|take|taking|it took|waited|waiting|wait|had to wait|been waiting)"
_SOMEONE = r"(?:me|us|him|her|them|my \w+|our \w+)"


def _wait(match: re.Match[str]) -> float | None:
    return time_valence(duration_minutes(match))


def _delay(match: re.Match[str]) -> float | None:
    """Only delays of days or more: "it took an hour" may be a procedure's length."""
    minutes = duration_minutes(match)
    return time_valence(minutes) if minutes is not None and minutes >= 1440 else None


PHRASES: Final[tuple[PhraseRule, ...]] = (
    # "Couldn't have been nicer": a negated comparative is the highest praise, where VADER
    # negates it into a complaint.
    rule(
        "could_not_be_better",
        r"\b(?:couldn't|could not|couldnt|can't|cannot|cant|could never|can never) (?:have )?"
        r"(?:been|be|ask for|have asked for|wish for|hope for) (?:a |any |anything |anyone )?"
        r"(?:nicer|better|kinder|friendlier|more (?:helpful|caring|professional|attentive|kind|"
        r"friendly|thorough|patient|pleased|grateful|satisfied))\b",
        2.5,
    ),
    # Not listening, not being taken seriously: the strongest driver of negative comments.
    rule(
        "not_listening",
        rf"\b(?:{_NOT}|{_NOBODY})(?:\s+(?:really|even|actually|ever|bother to|seem to|seem "
        r"to be|care to|want to|truly|once|have|has|had|been|was|were))*\s+(?:listen|listened|"
        r"listening|listens|hear me|hear us|hear what)\b",
        -2.5,
    ),
    rule(
        "not_taken_seriously",
        rf"\b(?:{_NOT}|{_NOBODY})\s+(?:\w+\s+)?(?:take|took|taking|taken)\s+(?:me|us|my \w+|it|"
        r"him|her|them|my concerns?)\s+seriously\b|\bbrushed\s+(?:me|it|us|him|her|them|my "
        r"\w+)\s+off\b|\bbrushed off\b|\b(?:dismissed|ignored)\s+(?:me|us|my \w+)\b",
        -2.3,
    ),
    rule(
        "felt_dismissed",
        r"\b(?:felt|feel|feeling|made me feel|made us feel)\s+(?:\w+\s+)?(?:judged|belittled|"
        r"invisible|dismissed|ignored|unheard|like a (?:number|burden|nuisance|bother|child|"
        r"criminal|inconvenience))\b",
        -2.0,
    ),
    rule(
        "treated_like",
        rf"\btreated\s+{_SOMEONE}\s+(?:like|as if|as though)\s+(?:a |an |i was |i were |we "
        r"were |he was |she was )?(?:number|child|idiot|criminal|dirt|garbage|liar|drug seeker|"
        r"drug-seeker|burden|nuisance|inconvenience|stupid|crazy|lying|faking)\b",
        -2.3,
    ),
    # Expected things nobody did: "nobody apologized", "no one called back".
    rule(
        "nobody_did",
        rf"\b{_NOBODY}(?:\s+(?:has|had|have|ever|even|would|will|could|bothered to|cared to|"
        rf"seemed to|was able to|is able to|wanted to))*\s+{_ACTIONS}\b",
        -2.0,
    ),
    rule(
        "no_call_back",
        rf"\b(?:still\s+)?{_NOT}\s+(?:\w+\s+)?(?:call|called|calls|get|got|gotten|hear|heard|"
        r"getting)\s+(?:me\s+|us\s+)?back\b"
        r"|\bnever (?:heard|got|received) (?:back|anything|a (?:call|response|reply|word))\b"
        r"|\bno (?:call ?backs?|callbacks?|return calls?|response|reply|follow[- ]?up)\b",
        -2.0,
    ),
    rule(
        "could_not_reach",
        rf"\b(?:{_NOT}|unable to|impossible to|never able to)\s+(?:\w+\s+)?(?:get through"
        r"|reach (?:anyone|anybody|someone|the office|the clinic|a person|a human)"
        r"|get a hold of|get ahold of|get hold of|get an appointment|get seen)\b",
        -2.0,
    ),
    rule(
        "not_explained",
        rf"\b{_NOT}\s+(?:even\s+|bother to\s+|really\s+|properly\s+|fully\s+|clearly\s+)*"
        r"(?:explain|explained|explaining|tell me|tell us|told me|told us|inform|informed|"
        r"answer my questions?|answer any questions?)\b",
        -2.0,
    ),
    rule(
        "never_did",
        rf"\b{_NOT}\s+(?:even\s+|once\s+|bother to\s+|ever\s+)*(?:checked on|check on|came "
        r"to see|come to see|answered|answer|returned|return my|responded|respond|followed up|"
        r"follow up|showed up|show up|acknowledged|acknowledge|greeted|greet|apologized|"
        r"apologize|apologised|apologise|introduced|introduce|looked at me|look at me|examined|"
        r"examine|washed|wash)\b",
        -1.8,
    ),
    rule(
        "not_coming_back",
        rf"\b{_NOT}\s+(?:\w+\s+){{0,2}}?(?:come|coming|go|going|return|returning)\s+back\b|\bnever "
        r"(?:return|returning)\b|\b(?:find|finding|look for|looking for) (?:a |another )?"
        r"(?:new |different )?(?:doctor|provider|clinic|practice|office|physician)\b",
        -2.0,
    ),
    rule(
        "short_wait",
        r"\b(?:no|little|short|minimal|hardly any|barely any|not much of a|not a long|quick)\s+"
        rf"(?:wait|waiting|wait time)\b|\b(?:{_NOT}|barely|hardly)\s+"
        r"(?:have to |had to |need to |needed to )?wait\b(?:\s+long|\s+at all|\s+much)?|\b"
        r"(?:wait|wait time|waiting time|the wait)\s+(?:was|is|were)\s+(?:\w+\s+)?(?:short|"
        r"minimal|reasonable|brief|nonexistent|non-existent)\b",
        1.5,
    ),
    rule(
        "seen_promptly",
        r"\b(?:seen|called back|called in|taken back|taken in|roomed|checked in|in and out|got "
        r"in|helped|attended to|served)\s+(?:\w+\s+)?(?:right away|straight away|immediately|"
        r"promptly|quickly|right on time|on time|early|within minutes|in no time|fast)\b|\b(?:was"
        r"|were|is|are|started|always|right|exactly|perfectly|bang|precisely)\s+on (?:time|"
        r"schedule)\b",
        1.5,
    ),
    # Waits on the day and delays, valued by their length (overrides.wait_valence and
    # delay_valence): "waited 90 minutes" -2.0, "a two hour wait" -2.6, "only waited five
    # minutes" +1.0, "three weeks to get an appointment" -1.8.
    rule(
        "wait_length",
        rf"\b{_WAIT_VERB}\b(?:\s+(?!but\b|and\b|then\b)[\w']+){{0,4}}?\s+{_QUANTITY}{DURATION}",
        valence_of=_wait,
    ),
    rule(
        "wait_length",
        rf"\b{_QUANTITY}{DURATION}(?:\s+|-)(?:of\s+)?(?:wait|waiting|delay|late|on hold|in the "
        r"waiting room|past (?:my|our|the) (?:appointment|scheduled) time|after (?:my|our|the) "
        r"(?:appointment|scheduled) time|behind schedule)\b",
        valence_of=_wait,
    ),
    rule(
        "delay_length",
        rf"\b{_DELAY_VERB}\b(?:\s+(?!but\b|and\b|then\b)[\w']+){{0,3}}?\s+{_QUANTITY}{DURATION}",
        valence_of=_delay,
    ),
    rule(
        "wait_forever",
        rf"\b{_WAIT_VERB}\s+(?:\w+\s+)?(?:forever|ages|an eternity|so long|too long|a long time"
        r"|a very long time|way too long|far too long)\b|\b(?:took|takes|take|taking)\s+"
        r"(?:\w+\s+)?(?:forever|ages|an eternity|too long|way too long|far too long)\b",
        -2.0,
    ),
    rule(
        "long_wait",
        r"\b(?:long|longer|lengthy|endless|excessive|hour-long|hours-long)\s+(?:wait|waits|"
        r"waiting|wait times?|waiting times?|delays?|queues?|lines?)\b|\b(?:wait|wait times?|"
        r"waiting times?|waits)\s+(?:was|were|is|are|has been|have been|can be)\s+(?:\w+\s+)?"
        r"(?:long|too long|excessive|endless)\b",
        -1.8,
    ),
    rule(
        "running_late",
        r"\b(?:running|ran|runs|run)\s+(?:\w+\s+)?(?:late|behind)\b|\bbehind schedule\b",
        -1.2,
    ),
    # Care shown: time taken, questions answered.
    rule(
        "took_time",
        r"\btook (?:the|extra|plenty of|so much|a lot of) (?:\w+ )?time\b|\btook (?:her|his|"
        r"their) time (?:to explain|explaining|with me|with us|to listen|listening|to answer|"
        r"answering)\b",
        1.8,
    ),
    rule(
        "answered_questions",
        r"\banswered (?:all |every |each |any |both )?(?:of )?(?:my |our |the )?(?:questions?|"
        r"concerns?)\b",
        1.5,
    ),
    rule(
        "listened",
        r"\b(?:listened|listens|listening)(?:\s+(?:to me|to us|carefully|closely|patiently|"
        r"attentively|well))?\b",
        1.5,
    ),
    # Billing.
    rule(
        "billing_error",
        r"\bbilling (?:errors?|mistakes?|issues?|problems?|nightmare|mess|mix-?ups?)\b|\b"
        r"(?:charged|billed|charging|billing)\s+(?:me\s+|us\s+|my \w+\s+)?(?:twice|double|two "
        r"times|three times|incorrectly|wrongly|by mistake|in error)\b|\bdouble[- ](?:charged|"
        r"billed|charges?|billing)\b|\b(?:surprise|unexpected|outrageous|huge|massive) (?:bills?"
        r"|charges?|fees?)\b|\b(?:wrong|incorrect|inaccurate|erroneous) (?:bills?|charges?|"
        r"amounts?|invoices?|statements?|coding)\b|\bsent (?:me |us |my \w+ |it )?to collections"
        r"\b|\b(?:claims?|insurance) (?:was |were |got |has been )?(?:denied|rejected)\b",
        -2.0,
    ),
    # Premises.
    rule(
        "temperature",
        r"\b(?:too|so|very|really|extremely|freezing|ice) (?:cold|hot|warm|stuffy)\b",
        -1.2,
    ),
    # "Nobody was rude": VADER reads "no" as a negation only right before a word, so "no one"
    # and "nobody" are read as "not anyone", a negation it applies to the next three words.
    rule("nobody", rf"\b{_NOBODY}\b", rewrite="not anyone"),
)
