"""The language of an article whose page declares none, from its text (py3langid).

Pages name their language in ``<html lang>``, ``content-language`` or JSON-LD
``inLanguage`` (read by `corpus.html_meta`); about one page in twenty names none. For
those the body text is classified by py3langid (BSD, a compact naive Bayes model over
97 languages shipped in the package): the code is kept only when the model is sure.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

#: Probability (normalised over the model's languages) below which no code is given.
MIN_CONFIDENCE = 0.9
#: Characters of the body that are classified (the start of an article is enough).
SAMPLE_CHARS = 3000
#: Bodies shorter than this are not classified (too little text to be sure).
MIN_CHARS = 200


@lru_cache(maxsize=1)
def _identifier() -> Any:  # loaded lazily: reading the model takes about a second, once a process
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language, or "" when unsure or too short."""
    sample = text[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return ""
    try:
        code, probability = _identifier().classify(sample)
    except (ValueError, TypeError, MemoryError):
        return ""
    return code if probability >= MIN_CONFIDENCE and isinstance(code, str) else ""
