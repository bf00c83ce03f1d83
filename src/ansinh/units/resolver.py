"""Resolve free-text addresses, as officials write them, to administrative units.

    >>> Resolver.from_db().resolve("Bản Nà Pàn - X. Hồng Phong - H. Bình Gia - T. Lạng Sơn", on=date(2025, 8, 1))
    {"input": ..., "status": "ambiguous", "old": {...}, "new": None, "candidates": [...]}

Statuses
    exact      the named unit is valid on ``on`` (an old-map commune before 2025-07-01,
               a new-map commune from then on);
    converted  an old commune named on/after 2025-07-01 that went WHOLE into one new
               commune: ``old`` = it, ``new`` = its successor;
    ambiguous  a split old commune (``candidates`` = its successors, default first), or
               a name several units share that the district/province given cannot
               separate (``candidates`` = those units). Never a guess;
    not_found  with a ``reason``.

How it reads an address
    The text is decoded from TCVN3/VNI when it is legacy-font text, given canonical
    tones, split into words (separators , - ; / | and spaces; dots end
    abbreviations: "X.Hồng Phong", "TT.Cao Lộc") and each word folded (no marks,
    upper case). Administrative names are matched from the right end: an optional
    province, an optional (old-map) district, then the commune; whatever is left
    on the left (Thôn/Bản/Tổ/Số nhà ...) is ignored. Type words (Xã/X., Phường/P.,
    Thị trấn/TT., Huyện/H., Quận/Q., Thị xã/TX., Thành phố/TP., Tỉnh/T., Đặc khu)
    are optional; when given they must fit the level and are used to choose among
    same-named units of different kinds. Candidate readings are scored and the best
    one wins; equal best readings are merged (and then usually ambiguous).
    When the address is written with marks, units whose marked name matches exactly
    are preferred ("Tân Thanh" is not "Tân Thành"); without marks both match.
    A name that several units share: the unit valid on ``on`` is preferred over
    same-named units of the same province (old "Xã Hồng Phong" vs the new one, both in
    Lạng Sơn); when a namesake lies in another province the result stays ambiguous.
    A commune is looked for in the province named first, then in the old provinces
    that the named (new) province absorbed.

Everything is precomputed in dictionaries from one read of the units table; no
database query per address. Units are referred to by row id, never by code, so
reused codes (05977: Phường Vĩnh Trại, then Phường Đông Kinh) cannot mix.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from collections import defaultdict
from functools import lru_cache
from typing import Any

from ansinh.text import FOLD_FROM, FOLD_TO, canonical_tones, decode_legacy, fold
from ansinh.units.models import REFORM_DATE, AdminUnit, DataSource, Level, UnitSuccession

COMMUNE_KINDS = frozenset({"Xã", "Phường", "Thị trấn", "Đặc khu"})
DISTRICT_KINDS = frozenset({"Huyện", "Quận", "Thị xã", "Thành phố"})
PROVINCE_KINDS = frozenset({"Tỉnh", "Thành phố"})

P, D, C = 1, 2, 3  # levels

# Type phrases: folded tokens -> (allowed lower-case marked spellings per token, kinds).
# A token written with marks must be spelled exactly so ("xá" is not "xã").
_TYPE_PHRASES: dict[tuple[str, ...], tuple[tuple[frozenset, ...], frozenset]] = {}


def _type(folded: str, marked: str, kinds: set[str]) -> None:
    toks = tuple(folded.split())
    marks = tuple(frozenset({m, f.lower()}) for m, f in zip(marked.split(), toks))
    _TYPE_PHRASES[toks] = (marks, frozenset(kinds))


for _f, _m, _k in [
    ("XA", "xã", {"Xã"}), ("X", "x", {"Xã"}),
    ("PHUONG", "phường", {"Phường"}), ("P", "p", {"Phường"}), ("F", "f", {"Phường"}),
    ("THI TRAN", "thị trấn", {"Thị trấn"}), ("TT", "tt", {"Thị trấn"}), ("TTR", "ttr", {"Thị trấn"}),
    ("T TRAN", "t trấn", {"Thị trấn"}), ("T T", "t t", {"Thị trấn"}),
    ("DAC KHU", "đặc khu", {"Đặc khu"}), ("DK", "dk", {"Đặc khu"}),
    ("HUYEN", "huyện", {"Huyện"}), ("H", "h", {"Huyện"}),
    ("QUAN", "quận", {"Quận"}), ("Q", "q", {"Quận"}),
    ("THI XA", "thị xã", {"Thị xã"}), ("TX", "tx", {"Thị xã"}), ("T X", "t x", {"Thị xã"}),
    ("THANH PHO", "thành phố", {"Thành phố"}), ("TP", "tp", {"Thành phố"}), ("T P", "t p", {"Thành phố"}),
    ("T PHO", "t phố", {"Thành phố"}), ("TPHO", "tphố", {"Thành phố"}),
    ("TINH", "tỉnh", {"Tỉnh"}), ("T", "t", {"Tỉnh"}),
]:
    _type(_f, _m, _k)
_LETTER_ABBR = frozenset(k[0] for k in _TYPE_PHRASES if len(k) == 1 and len(k[0]) == 1)
_TYPE_MAXLEN = max(len(k) for k in _TYPE_PHRASES)

# Words that start the part below the commune (village, hamlet, street, house).
_VILLAGE_WORDS: dict[str, frozenset] = {
    f: frozenset({m, f.lower()}) for f, m in [
        ("THON", "thôn"), ("BAN", "bản"), ("XOM", "xóm"), ("KHOI", "khối"), ("TO", "tổ"), ("KHU", "khu"),
        ("AP", "ấp"), ("SO", "số"), ("SN", "sn"), ("KP", "kp"), ("TDP", "tdp"), ("KHOM", "khóm"),
        ("DOI", "đội"), ("CUM", "cụm"), ("NGO", "ngõ"), ("NGACH", "ngách"), ("HEM", "hẻm"),
        ("DUONG", "đường"), ("LANG", "làng"), ("PHUM", "phum"), ("SOC", "sóc"), ("BUON", "buôn"),
        ("PLEI", "plei"), ("NHA", "nhà"),
    ]
}

# Full words of district/province types (first word of the phrase) that may not stand
# left of the commune.
_HIGHER_TYPES = {"HUYEN": frozenset({"huyện", "huyen"}), "QUAN": frozenset({"quận", "quan"}),
                 "TINH": frozenset({"tỉnh", "tinh"}), "THI": frozenset({"thị", "thi"}),
                 "THANH": frozenset({"thành", "thanh"})}

# Province aliases by the province's key (folded short name without spaces).
_PROVINCE_ALIASES = {
    "HANOI": ["HN", "TPHN"],
    "HOCHIMINH": ["HCM", "TPHCM", "HCMC", "SAIGON", "SG", "TPHOCHIMINH"],
    "BARIAVUNGTAU": ["BRVT", "BARIA", "VUNGTAU"],
    "HUE": ["THUATHIENHUE", "TTHUE", "TTH"],
    "DAKLAK": ["DACLAC", "DACLAK", "DAKLAC"],
    "DAKNONG": ["DACNONG"],
    "LANGSON": ["LS"],
}
_TRAILING_COUNTRY = [("VIET", "NAM"), ("VN",), ("VIETNAM",)]

_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019\u02bc`][^\W_]+)*|[,;/\\|\-\u2013\u2014:()\[\]\n+&]")
_SEPARATORS = frozenset(",;/\\|-\u2013\u2014:()[]\n+&")
_APOS_RE = re.compile(r"['\u2019\u02bc`]")
_GLUED_NUMBER_RE = re.compile(r"^(P|Q|F|X|H)(\d+)$")

_FOLD_TRANS = str.maketrans(FOLD_FROM, FOLD_TO)
# Windows-1252 punctuation a legacy-font cell may hold besides Latin-1.
_CP1252_EXTRA = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))
_fold_memo: dict[str, str] = {}


def _fold_token(tok: str) -> str:
    r = _fold_memo.get(tok)
    if r is None:
        r = _APOS_RE.sub("", fold(tok))
        if r.isdigit():
            r = str(int(r))
        if len(_fold_memo) < 200_000:
            _fold_memo[tok] = r
    return r


def tokenize(text: str) -> tuple[list[str], list[str], frozenset[int]]:
    """(folded tokens, marked lower-case tokens, positions that follow a separator).

    Position i is in the boundary set when a separator stands right before token i;
    0 is always a boundary."""
    low = text.lower()
    up = low.translate(_FOLD_TRANS).upper()
    if up.isascii():  # Vietnamese letters fold one to one: tokenise both at C speed
        f_all = _TOKEN_RE.findall(up)
        m_all = _TOKEN_RE.findall(low)
        if len(f_all) != len(m_all):  # pragma: no cover - defensive
            f_all = [_fold_token(t) for t in m_all]
    else:
        m_all = _TOKEN_RE.findall(low)
        f_all = [_fold_token(t) for t in m_all]
    apos = _APOS_RE.search(low) is not None
    folded: list[str] = []
    marked: list[str] = []
    bounds = {0}
    for f, m in zip(f_all, m_all):
        if f in _SEPARATORS:
            bounds.add(len(folded))
            continue
        if apos:
            f = _APOS_RE.sub("", f)
            m = _APOS_RE.sub("", m)
        if f[-1].isdigit():
            if f.isdigit():
                f = m = str(int(f))
            else:
                g = _GLUED_NUMBER_RE.match(f)
                if g:  # "P1", "Q10": a type letter glued to a number
                    folded.append(g.group(1))
                    marked.append(g.group(1).lower())
                    f = m = str(int(g.group(2)))
        folded.append(f)
        marked.append(m)
    return folded, marked, frozenset(bounds)


def _name_tokens(short_name: str) -> tuple[str, str, tuple[str, ...]]:
    f, m, _ = tokenize(canonical_tones(short_name))
    return "".join(f), "".join(m), tuple(f)


class UnitsNotLoaded(Exception):
    pass


class Unit:
    __slots__ = ("id", "code", "name", "short", "kind", "level", "province_code", "parent_id", "valid_from",
                 "valid_to", "key", "marked", "tokens", "district", "province", "prov_ids", "successors", "is_new")

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name} {self.valid_from or ''}-{self.valid_to or ''}>"


def _new_dict(u: Unit) -> dict:
    return {"code": u.code, "name": u.name, "province": u.province.name if u.province else None}


def _old_dict(u: Unit) -> dict:
    if u.level == Level.DISTRICT:  # a district without communes, resolved as a leaf
        district = u.name
    else:
        district = u.district.name if u.district else None
    return {"code": u.code, "name": u.name, "district": district, "province": u.province.name if u.province else None}


def _candidate(u: Unit) -> dict:
    return _new_dict(u) if u.is_new else {**_new_dict(u), "district": _old_dict(u)["district"]}


def _fmt_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


class Resolver:
    """In-memory index of all units. Build with :meth:`from_db` (cached per process)."""

    def __init__(self, units: list[Unit], successions: list[tuple[int, int, str, bool]], cache_size: int = 100_000):
        self.units = {u.id: u for u in units}
        prov_index: dict[str, list[Unit]] = defaultdict(list)
        dist_index: dict[str, list[Unit]] = defaultdict(list)
        comm_index: dict[str, list[Unit]] = defaultdict(list)
        for u in units:
            u.successors = []
        for pred, succ, kind, default in successions:
            p, s = self.units.get(pred), self.units.get(succ)
            if p is not None and s is not None:
                p.successors.append((s, kind, default))
        for u in units:
            u.successors.sort(key=lambda t: (not t[2], t[0].code))
        has_children: set[int] = {u.parent_id for u in units if u.parent_id is not None}
        for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
            for u in units:
                if u.level != level:
                    continue
                parent = self.units.get(u.parent_id) if u.parent_id else None
                u.district = None
                if level == Level.PROVINCE:
                    u.province = u
                elif parent is not None and parent.level == Level.DISTRICT:
                    u.district = parent
                    u.province = parent.province
                else:
                    u.province = parent
        for u in units:
            ids = {u.province.id} if u.province is not None else set()
            if u.province is not None:
                ids.update(s.id for s, _, _ in u.province.successors)
            u.prov_ids = frozenset(ids)
        # Index keys: the folded words of the short name joined without spaces; every
        # word-suffix of a key is kept too, so that matching from the right stops early.
        suffixes: dict[int, set[str]] = {P: set(), D: set(), C: set()}
        indexes = {P: prov_index, D: dist_index, C: comm_index}

        def add(level: int, tokens: tuple[str, ...], u: Unit) -> None:
            indexes[level]["".join(tokens)].append(u)
            for i in range(len(tokens)):
                suffixes[level].add("".join(tokens[i:]))

        for u in units:
            variants = [u.tokens]
            # "Phường 1", "Quận 3": the package keeps the kind in numeric short names.
            kind_tokens = tuple(tokenize(u.kind)[0])
            n = len(kind_tokens)
            if u.tokens[:n] == kind_tokens and len(u.tokens) > n and u.tokens[n].isdigit():
                variants.append(u.tokens[n:])
            for tokens in variants:
                if u.level == Level.PROVINCE:
                    add(P, tokens, u)
                elif u.level == Level.DISTRICT:
                    add(D, tokens, u)
                    if u.id not in has_children:  # island districts without communes act as communes
                        add(C, tokens, u)
                else:
                    add(C, tokens, u)
        provinces = [u for u in units if u.level == Level.PROVINCE]
        by_key = defaultdict(list)
        for u in provinces:
            by_key[u.key].append(u)
        for key, aliases in _PROVINCE_ALIASES.items():
            for a in aliases:
                if a not in prov_index:
                    for u in by_key.get(key, []):
                        add(P, (a,), u)
        # Initials ("LS"): only when they name one province (in either map).
        initials = defaultdict(set)
        for u in provinces:
            ini = "".join(w[0] for w in fold(u.short).replace("-", " ").split() if w[0].isalpha())
            initials[ini].add(u.key)
        for ini, keys in initials.items():
            if len(keys) == 1 and len(ini) >= 2 and (ini,) not in _TYPE_PHRASES and ini not in prov_index:
                for k in keys:
                    for u in by_key[k]:
                        add(P, (ini,), u)
        self.indexes = {level: {k: tuple(v) for k, v in idx.items()} for level, idx in indexes.items()}
        self.suffixes = {level: frozenset(v) for level, v in suffixes.items()}
        self.prov_index, self.dist_index, self.comm_index = self.indexes[P], self.indexes[D], self.indexes[C]
        self._parse_cached = lru_cache(maxsize=cache_size)(self._parse)

    # ------------------------------------------------------------------
    # Construction from the database
    # ------------------------------------------------------------------

    @classmethod
    def build(cls) -> Resolver:
        units = []
        for row in AdminUnit.objects.order_by().values_list(
                "id", "code", "name", "short_name", "kind", "level", "province_code", "parent_id", "valid_from",
                "valid_to").iterator(chunk_size=5000):
            u = Unit()
            (u.id, u.code, u.name, u.short, u.kind, u.level, u.province_code, u.parent_id, u.valid_from,
             u.valid_to) = row
            u.key, u.marked, u.tokens = _name_tokens(u.short)
            u.is_new = u.valid_from is not None and u.valid_from >= REFORM_DATE
            units.append(u)
        if not units:
            raise UnitsNotLoaded("administrative units are not loaded: run `ansinh init`")
        successions = list(UnitSuccession.objects.order_by().values_list(
            "predecessor_id", "successor_id", "kind", "is_default"))
        return cls(units, successions)

    @classmethod
    def from_db(cls) -> Resolver:
        """The process-wide resolver, rebuilt when the loaded data set changes."""
        key = _data_version()
        with _LOCK:
            global _INSTANCE, _INSTANCE_KEY
            if _INSTANCE is None or _INSTANCE_KEY != key:
                _INSTANCE = cls.build()
                _INSTANCE_KEY = key
            return _INSTANCE

    def cache_info(self):
        return self._parse_cached.cache_info()

    def cache_clear(self) -> None:
        self._parse_cached.cache_clear()

    # ------------------------------------------------------------------
    # Parsing
    # ------------------------------------------------------------------

    @staticmethod
    def _types_ending_at(folded: list[str], marked: list[str], pos: int) -> list[tuple[int, frozenset]]:
        """Type phrases that end right before token `pos`: [(start, kinds)]."""
        out = []
        for m in range(1, _TYPE_MAXLEN + 1):
            start = pos - m
            if start < 0:
                break
            entry = _TYPE_PHRASES.get(tuple(folded[start:pos]))
            if entry is None:
                continue
            spellings, kinds = entry
            if all(marked[start + i] in spellings[i] for i in range(m)):
                out.append((start, kinds))
        return out

    def _higher_type_before(self, folded: list[str], marked: list[str], bounds: frozenset, stop: int) -> bool:
        """Is a district or province written left of token `stop` ("Huyện Bình Gia, ...")?
        Only a full type word that opens a part of the address and is followed by a
        district/province name counts ("Thôn Quan Sơn" is a village)."""
        for i in range(stop):
            entry = _HIGHER_TYPES.get(folded[i])
            if entry is None or i not in bounds or marked[i] not in entry:
                continue
            j = i + 1
            if folded[i] in ("THI", "THANH"):
                if j >= len(folded) or folded[j] != ("XA" if folded[i] == "THI" else "PHO"):
                    continue
                j += 1
            key = ""
            for k in range(j, min(stop + 1, j + 6, len(folded))):
                key += folded[k]
                if key in self.dist_index or key in self.prov_index:
                    return True
        return False

    def _spans(self, level: int, folded: list[str], end: int, memo: dict) -> list[tuple[int, tuple]]:
        """Names of `level` ending right before token `end`: [(start, units)]."""
        mk = (level, end)
        out = memo.get(mk)
        if out is not None:
            return out
        out = []
        index, suffixes = self.indexes[level], self.suffixes[level]
        key = ""
        for start in range(end - 1, -1, -1):
            tok = folded[start]
            key = tok + key
            if key not in suffixes:
                break
            if len(tok) == 1 and tok in _LETTER_ABBR:
                continue  # no name starts with "X", "P", "T" ...: that is a type abbreviation
            hits = index.get(key)
            if hits:
                out.append((start, hits))
        memo[mk] = out
        return out

    def _options(self, level: int, ctx, end: int, allowed: set[int] | None,
                 districts: set[int] | None) -> list[tuple[int, int, float, tuple, int]]:
        """Readings of one level ending at `end`: (next end, name start, score, hits, name end)."""
        folded, marked, bounds, notes, memo = ctx
        out = []
        level_kinds = COMMUNE_KINDS if level == C else DISTRICT_KINDS if level == D else PROVINCE_KINDS
        for start, hits in self._spans(level, folded, end, memo):
            if allowed is not None:
                # in the province named, else in an old province now part of it ("Bắc Ninh"
                # written for a commune of the old Bắc Giang)
                direct = tuple(u for u in hits if u.province is not None and u.province.id in allowed)
                hits = direct or tuple(u for u in hits if not u.prov_ids.isdisjoint(allowed))
            if districts is not None:
                hits = tuple(u for u in hits if u.parent_id in districts)
            if not hits:
                if level == C:
                    notes["filtered"] = True
                continue
            base = (10.0 if level == C else 4.0) + 0.05 * (end - start)
            types = memo.get(start)
            if types is None:
                types = memo[start] = self._types_ending_at(folded, marked, start)
            for tstart, kinds in types:
                fitting = tuple(u for u in hits if u.kind in kinds)
                if fitting:
                    out.append((tstart, start, base + 3 + (tstart in bounds), fitting, end))
                elif kinds & level_kinds:  # right level, other kind ("Xã" for a "Thị trấn")
                    out.append((tstart, start, base - 3 + (tstart in bounds), hits, end))
            if level == C:
                if types:
                    continue  # a type word right before the commune name belongs to it
                if start > 0 and marked[start - 1] in _VILLAGE_WORDS.get(folded[start - 1], ()):
                    continue  # "Thôn Hồng Phong": a village's name, not the commune
            out.append((start, start, base + (start in bounds), hits, end))
        if level == C and out:
            # Left of the commune only the village/house part may stand: a district or
            # province written there ("Huyện Bình Gia, Lạng Sơn") means no commune was given.
            kept = [o for o in out if not self._higher_type_before(folded, marked, bounds, o[0])]
            if len(kept) < len(out):
                notes["higher_only"] = True
            out = kept
        return out

    def _parse(self, text: str) -> tuple[tuple[Unit, ...], str, str]:
        """(units the best readings name, marked spelling of the name, failure note)."""
        if not text or not text.strip():
            return (), "", "empty"
        if not text.isascii():
            # NFC only: tone placement ("hoà"/"hòa") matters just when comparing marked
            # names, where the few tokens concerned get canonical tones.
            text = unicodedata.normalize("NFC", decode_legacy(text))
        has_marks = not text.isascii()
        folded, marked, bounds = tokenize(text)
        n = len(folded)
        # "..., Việt Nam"
        for tail in _TRAILING_COUNTRY:
            if n > len(tail) and tuple(folded[n - len(tail):]) == tail:
                n -= len(tail)
                break
        if n == 0:
            return (), "", "empty"
        notes: dict[str, Any] = {}
        memo: dict = {}
        ctx = (folded, marked, bounds, notes, memo)
        ends = [(n, 0.0)]
        # A last part we cannot read at all ("..., Lạng Sơn cũ"): may be skipped.
        seps = sorted((b for b in bounds if 0 < b < n), reverse=True)
        if seps:
            ends.append((seps[0], -6.0))
        best_score = None
        best: list[tuple[tuple, int, int]] = []
        for end, penalty in ends:
            prov_opts = [(end, end, 0.0, None, end)] + self._options(P, ctx, end, None, None)
            for p_next, _ps, p_score, p_hits, _pe in prov_opts:
                allowed = {u.id for u in p_hits} if p_hits else None
                dist_opts = [(p_next, p_next, 0.0, None, p_next)] + self._options(
                    D, ctx, p_next, allowed, None)
                for d_next, _ds, d_score, d_hits, _de in dist_opts:
                    districts = {u.id for u in d_hits} if d_hits else None
                    for c_next, c_start, c_score, c_hits, c_end in self._options(
                            C, ctx, d_next, allowed, districts):
                        score = penalty + p_score + d_score + c_score
                        if best_score is None or score > best_score + 1e-9:
                            best_score, best = score, [(c_hits, c_start, c_end)]
                        elif abs(score - best_score) <= 1e-9:
                            best.append((c_hits, c_start, c_end))
            if best or len(prov_opts) > 1 or self._spans(D, folded, end, memo):
                break  # found, or the last part was read as a province/district: do not skip it
        if not best:
            note = "higher_only" if notes.get("higher_only") else "filtered" if notes.get("filtered") else "no_commune"
            return (), "", note
        seen: dict[int, Unit] = {}
        spelled = ""
        for hits, c_start, c_end in best:
            spelled = "".join(canonical_tones(m) for m in marked[c_start:c_end])
            if len(hits) > 1 and has_marks:
                # An address written with marks chooses among same-key units by its spelling
                # ("Tân Thanh" is not "Tân Thành"); without marks both stay.
                hits = tuple(u for u in hits if u.marked == spelled) or hits
            for u in hits:
                seen.setdefault(u.id, u)
        units = tuple(seen.values())
        return units, spelled, ""

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------

    def resolve(self, address: str, on: dt.date | None = None, legacy_encoding: str | None = None) -> dict:
        """Resolve one address. `legacy_encoding` ("tcvn3"/"vni"), when a whole column is
        known to be legacy-font text (ansinh.text.detect_legacy_column), decodes cells
        that a per-cell detection cannot tell from Unicode ("Phó Léc" = "Phú Lộc")."""
        on = on or dt.date.today()
        if isinstance(on, dt.datetime):
            on = on.date()
        text = address if isinstance(address, str) else ("" if address is None else str(address))
        if legacy_encoding and not text.isascii() and all(ord(c) < 0x100 or c in _CP1252_EXTRA for c in text):
            text = decode_legacy(text, legacy_encoding)
        units, _spelled, note = self._parse_cached(text.strip())
        result: dict[str, Any] = {"input": address, "status": "not_found", "old": None, "new": None, "candidates": []}
        if not units:
            result["reason"] = {
                "empty": "địa chỉ trống",
                "filtered": "có tên xã/phường nhưng không thuộc huyện/tỉnh đã ghi",
                "higher_only": "không ghi xã/phường/thị trấn (chỉ có huyện/tỉnh)",
                "no_commune": "không nhận ra tên xã/phường/thị trấn",
            }.get(note, "không nhận ra địa chỉ")
            return result
        valid = [u for u in units if u.valid_on(on)]
        pick = valid or list(units)
        if valid and len(valid) < len(units):
            # Prefer the unit valid on `on` only over same-named units of the same province
            # (old "Xã Hồng Phong" of Lạng Sơn vs the new one); a namesake elsewhere keeps it open.
            for u in units:
                if not u.valid_on(on) and not any(u.prov_ids & v.prov_ids for v in valid):
                    pick = list(units)
                    break
        if len(pick) > 1:
            result["status"] = "ambiguous"
            result["candidates"] = [_candidate(u) for u in sorted(pick, key=_sort_key)]
            return result
        u = pick[0]
        if u.is_new:
            if u.valid_on(on):
                result["status"] = "exact"
                result["new"] = _new_dict(u)
            else:
                result["reason"] = f"{u.name} ({u.code}) chỉ có từ {_fmt_date(u.valid_from)}"
                result["candidates"] = [_candidate(u)]
            return result
        result["old"] = _old_dict(u)
        if u.valid_on(on):
            result["status"] = "exact"
            return result
        if u.valid_from is not None and on < u.valid_from:
            result["reason"] = f"{u.name} ({u.code}) chỉ có từ {_fmt_date(u.valid_from)}"
            result["old"] = None
            result["candidates"] = [_candidate(u)]
            return result
        succ = u.successors
        if len(succ) == 1 and succ[0][1] == "whole":
            result["status"] = "converted"
            result["new"] = _new_dict(succ[0][0])
        elif succ:
            result["status"] = "ambiguous"
            result["candidates"] = [_candidate(s) for s, _, _ in succ]
        else:
            result["reason"] = f"{u.name} ({u.code}) hết hiệu lực từ {_fmt_date(u.valid_to)}, không có đơn vị kế thừa"
        return result

    def resolve_many(self, addresses, on: dt.date | None = None, legacy_encoding: str | None = None):
        on = on or dt.date.today()
        for a in addresses:
            yield self.resolve(a, on, legacy_encoding)


def _sort_key(u: Unit):
    return (u.is_new, u.province_code, u.code)


_LOCK = threading.Lock()
_INSTANCE: Resolver | None = None
_INSTANCE_KEY = None


def _data_version():
    row = DataSource.objects.filter(name="vietnamadminunits").values_list("checksum", "loaded_at").first()
    return (row, AdminUnit.objects.count()) if row is None else row


def reset_cache() -> None:
    global _INSTANCE, _INSTANCE_KEY
    with _LOCK:
        _INSTANCE = None
        _INSTANCE_KEY = None


def resolve_address(address: str, on: dt.date | None = None) -> dict:
    return Resolver.from_db().resolve(address, on)
