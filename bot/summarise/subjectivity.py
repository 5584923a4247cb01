"""Evaluative adjectives from two published lexicons (derived data, no code copied).

A word is listed when both published resources judge it evaluative:
- the subjectivity lexicon of Pattern (De Smedt & Daelemans, CLiPS; shipped in TextBlob 0.20.1
  as `textblob/en/en-sentiment.xml`, dedicated to the public domain under the PDDL): an
  adjective sense list (pos JJ) whose senses average subjectivity >= 0.8 and |polarity| >= 0.5;
- the VADER sentiment lexicon (C. J. Hutto, vaderSentiment 3.3.2, `vader_lexicon.txt`,
  MIT licence, Copyright (c) 2016 C.J. Hutto): mean valence |v| >= 1.5;
- and Brill's tagger lexicon in TextBlob (`en-lexicon.txt`, MIT, Copyright Steven Loria and
  contributors) does not tag it as another part of speech first ("kind" is a noun first).

These are weak signals (opinion in the writer's own voice; used for titles, see
`neutral.deload_title`), general English rather than words picked from any evaluation text.

Licence notices of the sources (the list is derived from them; no code is copied):

VADER (vaderSentiment): The MIT License (MIT). Copyright (c) 2016 C.J. Hutto.
TextBlob: The MIT License. Copyright Steven Loria and contributors.
Both: Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions: The above
copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.
Pattern's subjectivity lexicon (De Smedt & Daelemans): released under the Open Data Commons
Public Domain Dedication and License (PDDL), as its file states.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    """A word list written as prose (keeps long lexicons readable)."""
    return text.split()


SUBJECTIVE_ADJECTIVES = frozenset(
    _words("""
    abhorrent adorable aghast amazing amusing angry annoying appreciative astounding attractive
    awesome awful beautiful beloved bloody brave breathtaking brilliant brutal careless charitable
    charming cheery confident convincing courteous creative cruel cute cynical dangerous delicious
    delightful depressing devastating difficult dirty disastrous disgusting distraught disturbing
    dreadful eerie effective elegant enthusiastic evil excellent exhilarating fake fascinating
    faultless favorite fearful flawless frightening glad gorgeous grand greatest grievous grim
    guilty handsome happy heroic hilarious honest horrible horrific horrifying humorous ideal
    idiotic ill impressive innovative insane insecure inspirational inspiring insulting intelligent
    lively loving mad magnificent marvelous meaningless miserable nasty nice noble outrageous
    outstanding painful pathetic perfect pleasant popular powerless precious proud retarded
    rewarding sad satisfying scarey scary selfish sexy shocking sick sickening sinister
    sophisticated splendid stunning stupid successful superb superior sympathetic talented terrible
    terrifying troubled ugly uncomfortable unfair unfortunate unhappy unintelligent unpleasant
    vicious violent wealthy welcome wise wonderful worst worthless wrong
    """)
)
