// Search folding for Arabic: the rules of indexer/normalization.py, in the browser.
//
// fold(text) gives what indexer.normalize gives: harakat, tanween, shadda, sukun, dagger alef and
// Quranic marks dropped, tatweel and zero-width/bidi controls dropped, أ إ آ ٱ → ا, ؤ → و, ئ → ي,
// ى → ي, ة → ه, Persian/Urdu shapes → Arabic ones, Arabic-Indic digits → 0-9, presentation forms
// → plain letters, Latin casefolded. foldWithMap(text) also says, for each folded character,
// where in the original text it came from, so a match found in folded text can be highlighted
// on the original characters.
(function (root) {
  "use strict";

  const DROPPED = new Set();
  const dropRange = (first, last) => {
    for (let code = first; code <= last; code += 1) DROPPED.add(code);
  };
  dropRange(0x064b, 0x065f); // harakat, tanween, shadda, sukun, combining hamza and maddah
  DROPPED.add(0x0670); // superscript (dagger) alef
  dropRange(0x0610, 0x061a); // Quranic annotation signs
  dropRange(0x06d6, 0x06ed); // Quranic annotation signs
  DROPPED.add(0x0640); // tatweel
  for (const ch of "\u200b\u200c\u200d\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e" +
      "\u2066\u2067\u2068\u2069\u2060\u00ad\ufeff") {
    DROPPED.add(ch.codePointAt(0)); // zero-width and bidi controls, word joiner, soft hyphen, BOM
  }

  const LETTERS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "\u0672": "ا", "\u0673": "ا", "\u0675": "ا",
    "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه", "ک": "ك", "ی": "ي",
    "\u06c0": "ه", "\u06c1": "ه", "\u06be": "ه", "\u06c3": "ه",
  };

  // Where String.prototype.toLowerCase and Python's str.casefold differ on one character.
  const CASEFOLD = {
    "ß": "ss", "ẞ": "ss", "ς": "σ", "ſ": "s", "µ": "μ", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl",
    "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "ŉ": "\u02bcn", "ǰ": "j\u030c",
  };

  function foldBase(ch) {
    const code = ch.codePointAt(0);
    if (DROPPED.has(code)) return "";
    if (Object.prototype.hasOwnProperty.call(LETTERS, ch)) return LETTERS[ch];
    if (code >= 0x0660 && code <= 0x0669) return String(code - 0x0660);
    if (code >= 0x06f0 && code <= 0x06f9) return String(code - 0x06f0);
    return null; // not a base rule
  }

  function isPresentationForm(code) {
    return (code >= 0xfb50 && code <= 0xfdff) || (code >= 0xfe70 && code <= 0xfefc);
  }

  function casefold(text) {
    let out = "";
    for (const ch of text) {
      out += Object.prototype.hasOwnProperty.call(CASEFOLD, ch) ? CASEFOLD[ch] : ch.toLowerCase();
    }
    return out;
  }

  /** The folded form of one character (a code point): "" when it is dropped. */
  function foldChar(ch) {
    const base = foldBase(ch);
    if (base !== null) return base;
    if (isPresentationForm(ch.codePointAt(0))) {
      const plain = ch.normalize("NFKC");
      if (plain !== ch) {
        let folded = "";
        for (const part of plain) {
          const partFold = foldBase(part);
          folded += partFold === null ? part : partFold;
        }
        if (!folded.trim()) return "";
        if (!folded.includes(" ")) return casefold(folded);
      }
    }
    return casefold(ch);
  }

  function fold(text) {
    let out = "";
    for (const ch of text) out += foldChar(ch);
    return out;
  }

  /**
   * Fold ``text`` for matching; ``origin[i]`` is the index (UTF-16) in ``text`` of the character
   * folded character i came from. Runs of whitespace become one space.
   */
  function foldWithMap(text) {
    let folded = "";
    const origin = [];
    let index = 0;
    for (const ch of text) {
      let piece = foldChar(ch);
      if (/^\s+$/.test(piece)) piece = folded.endsWith(" ") ? "" : " ";
      for (let i = 0; i < piece.length; i += 1) origin.push(index);
      folded += piece;
      index += ch.length;
    }
    return { folded, origin, length: text.length };
  }

  /** The query as it is matched: folded, trimmed, inner whitespace as single spaces. */
  function foldQuery(query) {
    return fold(query).replace(/\s+/g, " ").trim();
  }

  /** [start, end) ranges of ``text`` (original indices) where ``query`` matches once folded. */
  function findAll(text, query, mapped) {
    const needle = foldQuery(query);
    if (!needle) return [];
    const map = mapped || foldWithMap(text);
    const ranges = [];
    let at = map.folded.indexOf(needle);
    while (at !== -1) {
      const last = at + needle.length - 1;
      let next = last + 1;
      while (next < map.folded.length && map.origin[next] === map.origin[last]) next += 1;
      const end = next < map.folded.length ? map.origin[next] : map.length;
      ranges.push([map.origin[at], end]);
      at = map.folded.indexOf(needle, next > at + needle.length ? next : at + needle.length);
    }
    return ranges;
  }

  root.ArabicFold = { fold, foldChar, foldWithMap, foldQuery, findAll };
})(window);
