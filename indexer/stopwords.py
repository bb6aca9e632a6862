"""Stop words: Arabic function words (normalized, as :func:`indexer.normalize` leaves them),
Whoosh's English list, and every single letter.

They are dropped after normalization and before stemming, so a content word that stems to the
same letters as a function word («بعيد» → «بعد») is still indexed. The list is kept to words
that carry no meaning a researcher would search for; «أم» (or) is left out because it is also
«أم» (mother), «نفس» and «ظل» because they are also «soul» and «shadow». «على» folds to «علي»,
so the name Ali is a stop word in transcripts (it is still found in the narrator and people
fields, which use the name analyzer).

>>> {"في", "الذي", "علي", "the"} <= STOP_WORDS
True
>>> "سجن" in STOP_WORDS
False
"""

from whoosh.analysis import STOP_WORDS as ENGLISH_STOP_WORDS

_LINES = (
    # prepositions and their pronoun forms
    "في فيه فيها فيهم فيهما فيهن فيك فيكم فينا",
    "من منه منها منهم منهما منهن منك منكم منا مني",
    "الي اليه اليها اليهم اليك اليكم الينا",
    "علي عليه عليها عليهم عليهما عليك عليكم علينا",
    "عن عنه عنها عنهم عنك عنكم عنا عني",
    "مع معه معها معهم معك معكم معنا معي",
    "ب به بها بهم بك بكم بنا بي",
    "ل له لها لهم لهما لك لكم لنا لي",
    "ك كما",
    "عند عنده عندها عندهم عندك عندكم عندنا عندي",
    "لدي لديه لديها لديهم لدينا",
    "حتي منذ مذ خلال حول دون بدون ضد نحو لدن",
    "بين بينه بينها بينهم بيننا",
    "امام خلف فوق تحت وراء قبل بعد قبله بعده اثناء عبر",
    # pronouns
    "انا نحن انت انتم انتما انتن هو هي هم هما هن اياه اياها اياهم اياي ايانا اياك",
    # demonstratives
    "هذا هذه هذان هاتان هولاء ذلك ذاك تلك اوليك هنا هناك هنالك ذلكم",
    "كذلك لذلك بذلك وكذلك لهذا بهذا كهذا لهذه بهذه كهذه لتلك بتلك كتلك",
    # relatives
    "الذي التي الذين اللذان اللتان اللواتي اللاتي اللايي",
    # conjunctions and particles
    "و ف ثم او بل لكن لكنه لكنها لكنهم ولكن ولكنه ولكنها لكني",
    "ان انه انها انهم اننا اني كان كانه كانها لان لانه لانها لانهم",
    "قد لقد وقد فقد لن لم لا ما لما لو لولا اذ اذا اذن كي لكي حيث حين حينما بينما عندما كلما",
    "هل ا يا اي ايها ايتها",
    "الا غير سوي ليس ليست لست لسنا ليسوا",
    "كل كلها كله كلهم بعض بعضها بعضهم جميع جميعا معظم نفسه نفسها ذات",
    "كانت كانوا كنت كنا يكون تكون يكونوا اكون نكون كن يكن تكن صار صارت اصبح اصبحت مازال زال",
    "لازال",
    "ايضا فقط جدا اكثر اقل كثير كثيرا قليل قليلا ربما انما",
    "تم يتم",
    "كيف متي اين ماذا لماذا كم",
    "وفي ومن والي وعلي وعن ومع وهو وهي وهم ولا وما ولم ولن وان وكان وكانت وكل وهذا وهذه وذلك",
    "وتلك وبعد وقبل وحتي وكما وبين وعند وانا ونحن وهنا وهناك واذا",
    "فهو فهي فهم فان فلا فما فلم فكان فكانت فاذا",
    "بان بانه بانها",
    # common vocatives / fillers
    "يعني",
)

ARABIC_STOP_WORDS = frozenset(word for line in _LINES for word in line.split())

SINGLE_LETTERS = frozenset(
    [chr(c) for c in range(0x0621, 0x064B) if c != 0x0640] + list("abcdefghijklmnopqrstuvwxyz")
)

STOP_WORDS = ARABIC_STOP_WORDS | ENGLISH_STOP_WORDS | SINGLE_LETTERS
