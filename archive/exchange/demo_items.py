"""The text of the demo collection (see demo_LICENSE.md beside this file).

Everything here was written for this project and is offered under CC0 1.0, except the two
poems of Abu Firas al-Hamdani (932-968), in the public domain.  The people are fictional
(their names end in "(demo)"), except Abu Firas.
"""

from __future__ import annotations

IN_COLLECTION = "مجموعة العرض التجريبية"
LIBRARY = "المكتبة الصوتية: قصائد وأغاني الأسر"  # the collection to "play all"

# People: Arabic name -> Latin-script name.
PEOPLE = {
    "أبو فراس الحمداني": "Abu Firas al-Hamdani",
    "سليم العلي (تجريبي)": "Salim al-Ali (demo)",
    "مريم حداد (تجريبي)": "Maryam Haddad (demo)",
    "خليل ناصر (تجريبي)": "Khalil Nasser (demo)",
    "هدى صالح (تجريبي)": "Huda Saleh (demo)",
    "يوسف عمران (تجريبي)": "Yusuf Omran (demo)",
    "فرقة الصمود (تجريبي)": "Al-Sumud Ensemble (demo)",
    "رامي شاهين (تجريبي)": "Rami Shahin (demo)",
}

# Tags: Arabic label -> English label.
TAGS = {
    "شعر السجون": "Prison poetry",
    "الأسر": "Captivity",
    "الزيارة": "Family visits",
    "العائلة": "Family",
    "التعليم": "Education",
    "الإضراب عن الطعام": "Hunger strike",
    "أغاني": "Songs",
    "الحنين": "Longing",
    "الإفراج": "Release",
    "الرسائل": "Letters",
}

ABU_FIRAS_1 = [
    [
        ("أَراكَ عَصِيَّ الدَّمعِ شيمَتُكَ الصَبرُ", "أَما لِلهَوى نَهيٌ عَلَيكَ وَلا أَمرُ"),
        ("بَلى أَنا مُشتاقٌ وَعِندِيَ لَوعَةٌ", "وَلَكِنَّ مِثلي لا يُذاعُ لَهُ سِرُّ"),
    ],
    [
        ("إِذا اللَيلُ أَضواني بَسَطتُ يَدَ الهَوى", "وَأَذلَلتُ دَمعاً مِن خَلائِقِهِ الكِبرُ"),
        ("تَكادُ تُضيءُ النارُ بَينَ جَوانِحي", "إِذا هِيَ أَذكَتها الصَبابَةُ وَالفِكرُ"),
    ],
]

ABU_FIRAS_2 = [
    [
        ("أَقولُ وَقَد ناحَت بِقُربي حَمامَةٌ", "أَيا جارَتا هَل تَشعُرينَ بِحالي"),
        ("مَعاذَ الهَوى ما ذُقتِ طارِقَةَ النَوى", "وَلا خَطَرَت مِنكِ الهُمومُ بِبالِ"),
    ],
]

SONG_1 = [  # written for this project
    [
        ("يا شمس الصبح على السور", "سلّمي على أمي الصابرة"),
        ("قولي لها ابنك ما انكسر", "والليل مهما طال ما له آخرة"),
    ],
    [
        ("يا طير يا رايح ع البلاد", "خذ معك مني سلام"),
        ("وقل للحبايب إنا هنا", "نعد الأيام بالأحلام"),
    ],
]

SONG_2 = [  # written for this project
    [
        ("من خلف القضبان نغني", "والصوت يطير فوق الجدار"),
        ("ما في زنزانة تحبس غنوة", "ولا سجان يطفي النهار"),
    ],
]

VISIT = [
    "كانت الزيارة مرة كل أسبوعين، نصف ساعة من خلف الزجاج.",
    "كانت أمي تأتي من الفجر، وتنتظر ساعات على الحاجز.",
    "ثم تبتسم كأن شيئا لم يكن، وتسألني عن الأكل والدراسة.",
]

LONG_TESTIMONY = [  # written for this project: a fictional account, long enough to search
    "اسمي سليم، واعتقلت في شتاء عام ألف وتسعمئة وتسعة وثمانين وأنا طالب في الجامعة.",
    "جاؤوا في الليل، وكسروا الباب، وأخذوني أمام إخوتي الصغار.",
    "قضيت الأيام الأولى في التحقيق، لا أعرف الليل من النهار.",
    "بعد شهرين نقلوني إلى سجن النقب، إلى الخيام في الصحراء.",
    "كان البرد في الليل قاسيا، والحر في النهار لا يحتمل.",
    "في الخيمة كنا عشرين أسيرا، من كل المدن والقرى والمخيمات.",
    "تعلمنا أن ننظم حياتنا: دور للطبخ، ودور للتنظيف، ودور للحراسة.",
    "وكانت لنا جلسة كل مساء، نقرأ فيها كتابا ونتناقش.",
    "كانت الكتب تدخل مهربة، صفحة صفحة، ونكتبها من جديد بخط اليد.",
    "تعلمت اللغة العبرية في النقب، وتعلمت الإنجليزية من رفيق في الخيمة.",
    "أصعب ما في الأسر كان انتظار الرسائل من البيت.",
    "كانت الرسالة تصل بعد شهر أو أكثر، وقد قرأها الرقيب قبلنا.",
    "ومع ذلك كنا نقرأ الرسالة عشر مرات، ونحفظها عن ظهر قلب.",
    "في عام ألف وتسعمئة واثنين وتسعين أضربنا عن الطعام ثمانية عشر يوما.",
    "طالبنا بزيارات منتظمة، وبالكتب، وبإنهاء العزل الانفرادي.",
    "في اليوم العاشر من الإضراب صار الوقوف صعبا، لكن أحدا لم ينكسر.",
    "وحين انتهى الإضراب ربحنا بعض ما طلبنا، وتعلمنا أن الصبر سلاح.",
    "خرجت من السجن بعد خمس سنوات، فوجدت إخوتي قد كبروا.",
    "عدت إلى الجامعة، وأنهيت دراستي، وصرت معلما في مدرسة القرية.",
    "وما زلت أحكي لطلابي عن الخيمة والكتب والرسائل.",
]

INTERVIEW = [  # (speaker, sentence), written for this project
    ("المحاور", "حدثينا عن أول رسالة وصلتك من أخيك في السجن."),
    ("مريم", "كانت رسالة قصيرة، مكتوبة بقلم رصاص على ورق رقيق."),
    ("مريم", "كتب فيها أنه بخير، وأنه يقرأ كثيرا، وطلب مني ألا أترك المدرسة."),
    ("المحاور", "وكيف كنتم تردون على رسائله؟"),
    ("مريم", "كنا نكتب كلنا في ورقة واحدة، كل واحد سطرين."),
    ("مريم", "وكانت أمي تملي علي ما تريد، لأنها لا تكتب."),
    ("المحاور", "هل ما زلت تحتفظين بتلك الرسائل؟"),
    ("مريم", "نعم، في صندوق خشبي، وهي اليوم أغلى ما في البيت."),
]

LECTURE = [
    "تحولت السجون إلى مدارس وجامعات.",
    "كان الأسرى يعلمون بعضهم القراءة واللغات والتاريخ.",
    "وكتبوا الدفاتر بخط اليد، ونقلوها من سجن إلى سجن.",
]

HUNGER_LECTURE = [
    "الإضراب عن الطعام هو آخر ما يملكه الأسير.",
    "خاضت الحركة الأسيرة إضرابات كثيرة منذ السبعينيات.",
    "وكانت مطالبها في الغالب بسيطة: زيارة، وكتاب، وعلاج، وكرامة.",
    "في هذه المحاضرة نعرض تاريخ هذه الإضرابات ونتائجها.",
]

EVENT = [
    "أهلا بكم في أمسية الوفاء للأسرى.",
    "نستمع الليلة إلى شهادات وقصائد كتبت خلف القضبان.",
]

RELEASE = [  # with its English translation, sentence by sentence
    ("يوم الإفراج لم أنم في الليلة السابقة.",
     "On the day of my release, I had not slept the night before."),
    ("فتحوا البوابة في الظهر، وكانت الشمس قوية.",
     "They opened the gate at noon, and the sun was strong."),
    ("رأيت أبي من بعيد، وركضت نحوه كطفل صغير.",
     "I saw my father from afar, and ran towards him like a small child."),
    ("في البيت كانت أمي قد طبخت كل ما أحب.",
     "At home my mother had cooked everything I love."),
]  # fmt: skip

LETTERS_RESEARCH = [
    "هذه الشهادة متاحة للباحثين فقط، بطلب من صاحبها.",
    "يتحدث فيها عن سنوات العزل الانفرادي وأثرها عليه.",
]

EMBARGOED = [
    "هذه الشهادة محجوبة حتى تاريخ محدد، بطلب من العائلة.",
    "تتحدث عن أيام التحقيق الأولى.",
]

DEMO = [
    {
        "identifier": "DEMO-001", "type": "poem",
        "title": "أراك عصي الدمع — من الروميات",
        "title_en": "I see you hold back your tears — from the Rumiyyat",
        "description": "قصيدة أبي فراس الحمداني التي كتبها في أسره لدى الروم. تسجيل تجريبي.",
        "description_en": "Abu Firas al-Hamdani's poem written in Byzantine captivity. A demo recording.",
        "stanzas": ABU_FIRAS_1,
        "people": {"poets": "أبو فراس الحمداني", "performers": "رامي شاهين (تجريبي)"},
        "tags": "شعر السجون | الأسر", "collections": LIBRARY,
        "date": "2026", "rights": "NKC", "access": "public",
    },
    {
        "identifier": "DEMO-002", "type": "testimony",
        "title": "شهادة تجريبية عن يوم الزيارة",
        "title_en": "A demo testimony about visiting day",
        "description": "نص كتب لهذا العرض التجريبي: أسير سابق يتحدث عن زيارة العائلة.",
        "description_en": "Text written for this demo: a former prisoner speaks of a family visit.",
        "speech": VISIT,
        "people": {"narrators": "خليل ناصر (تجريبي)", "interviewers": "هدى صالح (تجريبي)"},
        "tags": "الزيارة | العائلة", "prisons": "سجن النقب", "place": "الخليل",
        "date": "1988-04", "rights": "CC-BY-NC-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-003", "type": "lecture",
        "title": "محاضرة تجريبية: الحركة الأسيرة والتعليم",
        "title_en": "Demo lecture: the prisoners' movement and education",
        "description": "تسجيل مصور تجريبي: نمط اختبار مع صوت مركب.",
        "description_en": "A demo video: a test pattern with synthesised speech.",
        "speech": LECTURE, "video": True,
        "people": {"narrators": "يوسف عمران (تجريبي)"},
        "tags": "التعليم", "prisons": "سجن نفحة",
        "date": "1992", "rights": "CC-BY-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-004", "type": "testimony",
        "title": "شهادة تجريبية: خمس سنوات في النقب",
        "title_en": "A demo testimony: five years in the Negev",
        "description": "شهادة طويلة كتبت لهذا العرض: الاعتقال، والخيام، والكتب، والإضراب، والإفراج.",
        "description_en": "A long testimony written for this demo: arrest, the tents, books, the hunger strike, release.",
        "speech": LONG_TESTIMONY,
        "people": {"narrators": "سليم العلي (تجريبي)", "interviewers": "هدى صالح (تجريبي)"},
        "tags": "التعليم | الإضراب عن الطعام | الرسائل", "prisons": "سجن النقب", "place": "نابلس",
        "date": "1998-06", "rights": "CC-BY-NC-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-005", "type": "song",
        "title": "يا شمس الصبح — أغنية تجريبية",
        "title_en": "O morning sun — a demo song",
        "description": "أغنية كتبت لهذا العرض على لسان أسير يرسل السلام إلى أمه.",
        "description_en": "A song written for this demo: a prisoner sends his greetings to his mother.",
        "stanzas": SONG_1,
        "people": {"poets": "سليم العلي (تجريبي)", "performers": "فرقة الصمود (تجريبي)",
                   "composers": "رامي شاهين (تجريبي)"},
        "tags": "أغاني | الحنين | العائلة", "collections": LIBRARY,
        "date": "2001", "rights": "CC-BY-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-006", "type": "interview",
        "title": "مقابلة تجريبية: رسائل أخي",
        "title_en": "A demo interview: my brother's letters",
        "description": "مقابلة كتبت لهذا العرض مع أخت أسير عن الرسائل.",
        "description_en": "An interview written for this demo with a prisoner's sister about letters.",
        "dialogue": INTERVIEW,
        "people": {"narrators": "مريم حداد (تجريبي)", "interviewers": "هدى صالح (تجريبي)"},
        "tags": "الرسائل | العائلة", "place": "جنين",
        "date": "2010-03", "rights": "CC-BY-NC-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-007", "type": "event",
        "title": "أمسية تجريبية: الوفاء للأسرى",
        "title_en": "A demo evening in honour of the prisoners",
        "description": "تسجيل مصور تجريبي لأمسية: نمط اختبار مع صوت مركب.",
        "description_en": "A demo video of an evening event: a test pattern with synthesised speech.",
        "speech": EVENT, "video": True,
        "people": {"narrators": "يوسف عمران (تجريبي)"},
        "tags": "شعر السجون", "place": "رام الله",
        "date": "2015-04-17", "rights": "CC-BY-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-008", "type": "poem",
        "title": "أقول وقد ناحت بقربي حمامة",
        "title_en": "I said, as a dove cooed near me",
        "description": "من روميات أبي فراس الحمداني، كتبها أسيرا. تسجيل تجريبي.",
        "description_en": "From Abu Firas al-Hamdani's Rumiyyat, written in captivity. A demo recording.",
        "stanzas": ABU_FIRAS_2,
        "people": {"poets": "أبو فراس الحمداني", "performers": "رامي شاهين (تجريبي)"},
        "tags": "شعر السجون | الحنين", "collections": LIBRARY,
        "date": "2026", "rights": "NKC", "access": "public",
    },
    {
        "identifier": "DEMO-009", "type": "song",
        "title": "من خلف القضبان — أغنية تجريبية",
        "title_en": "From behind the bars — a demo song",
        "description": "أغنية قصيرة كتبت لهذا العرض.",
        "description_en": "A short song written for this demo.",
        "stanzas": SONG_2,
        "people": {"poets": "خليل ناصر (تجريبي)", "performers": "فرقة الصمود (تجريبي)"},
        "tags": "أغاني | الأسر", "collections": LIBRARY,
        "date": "2005", "rights": "CC-BY-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-010", "type": "lecture",
        "title": "محاضرة تجريبية: تاريخ الإضراب عن الطعام",
        "title_en": "Demo lecture: a history of hunger strikes",
        "description": "محاضرة كتبت لهذا العرض.",
        "description_en": "A lecture written for this demo.",
        "speech": HUNGER_LECTURE,
        "people": {"narrators": "يوسف عمران (تجريبي)"},
        "tags": "الإضراب عن الطعام", "prisons": "سجن عسقلان",
        "date": "2012", "rights": "CC-BY-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-011", "type": "testimony",
        "title": "شهادة تجريبية: يوم الإفراج",
        "title_en": "A demo testimony: release day",
        "description": "شهادة قصيرة كتبت لهذا العرض، مع ترجمة إنجليزية.",
        "description_en": "A short testimony written for this demo, with an English translation.",
        "speech": [arabic for arabic, _ in RELEASE],
        "translation_en": [english for _, english in RELEASE],
        "people": {"narrators": "خليل ناصر (تجريبي)"},
        "tags": "الإفراج | العائلة", "prisons": "سجن عسقلان", "place": "غزة",
        "date": "1994-05", "rights": "CC-BY-NC-4.0", "access": "public",
    },
    {
        "identifier": "DEMO-012", "type": "testimony",
        "title": "شهادة تجريبية للباحثين: العزل الانفرادي",
        "title_en": "A demo testimony for researchers: solitary confinement",
        "description": "متاحة للباحثين المسجلين فقط.",
        "description_en": "Open to registered researchers only.",
        "speech": LETTERS_RESEARCH,
        "people": {"narrators": "سليم العلي (تجريبي)"},
        "tags": "الأسر", "prisons": "سجن نفحة",
        "date": "2003", "rights": "CC-BY-NC-4.0", "access": "researchers",
        "release_access": "researchers",
    },
    {
        "identifier": "DEMO-013", "type": "testimony",
        "title": "شهادة تجريبية محجوبة حتى 2040",
        "title_en": "A demo testimony under embargo until 2040",
        "description": "محجوبة بطلب من العائلة حتى عام 2040.",
        "description_en": "Embargoed at the family's request until 2040.",
        "speech": EMBARGOED,
        "people": {"narrators": "خليل ناصر (تجريبي)"},
        "tags": "الأسر", "prisons": "سجن الرملة",
        "date": "1990", "rights": "CC-BY-NC-4.0", "access": "public",
        "embargo_until": "2040-01-01",
    },
]  # fmt: skip
