"""Vietnamese text: NFC, canonical tone placement, match-key folding, legacy encodings.

Every other module normalises Vietnamese text through these functions only.
See ansinh.text.core (normalisation, fold, fold_sql) and ansinh.text.legacy
(TCVN3/ABC and VNI-Windows spreadsheets).
"""
from ansinh.text.core import (  # noqa: F401
    FOLD_FROM,
    FOLD_TO,
    VIETNAMESE_LETTERS,
    canonical_tones,
    fold,
    fold_sql,
    is_vietnamese_syllable,
    nfc,
    normalize_name,
    normalize_space,
)
from ansinh.text.legacy import (  # noqa: F401
    decode_legacy,
    detect_legacy,
    detect_legacy_column,
    tcvn3_to_unicode,
    unicode_to_tcvn3,
    unicode_to_vni,
    vni_to_unicode,
)
