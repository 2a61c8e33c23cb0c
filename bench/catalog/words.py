"""Who the generated tools are for, the words their names and descriptions are made of, and
what visitors type into search."""

from __future__ import annotations

# (title word for names, phrase for taglines, tags): who or what the tool is for.
DOMAINS = [
    ("Legal", "legal", ["law", "contracts"]),
    ("Medical", "medical", ["medicine", "healthcare"]),
    ("Startup", "startup", ["startups", "entrepreneurs"]),
    ("Student", "student", ["students", "school"]),
    ("Academic", "academic", ["research", "academia"]),
    ("Python", "Python", ["python"]),
    ("JavaScript", "JavaScript", ["javascript", "web"]),
    ("Finance", "finance", ["finance", "money"]),
    ("Travel", "travel", ["travel", "tourism"]),
    ("Real Estate", "real estate", ["real estate", "property"]),
    ("Gaming", "gaming", ["games", "gaming"]),
    ("Music", "music", ["music"]),
    ("Science", "science", ["science"]),
    ("History", "history", ["history"]),
    ("Kids", "children's", ["kids", "family"]),
    ("Small Business", "small business", ["small business", "smb"]),
    ("HR", "HR", ["hr", "hiring"]),
    ("Sales", "sales", ["sales", "crm"]),
    ("Support", "customer support", ["customer support", "helpdesk"]),
    ("E-commerce", "online store", ["ecommerce", "retail"]),
    ("Nonprofit", "nonprofit", ["nonprofit", "charity"]),
    ("Cooking", "cooking", ["cooking", "food"]),
    ("Fitness", "fitness", ["fitness", "sport"]),
    ("Parenting", "parenting", ["parenting", "family"]),
    ("Podcast", "podcast", ["podcasts", "audio"]),
    ("YouTube", "video", ["video", "youtube"]),
    ("Newsletter", "newsletter", ["newsletters", "email"]),
    ("Chemistry", "chemistry", ["chemistry", "science"]),
    ("Math", "maths", ["math", "education"]),
    ("Biology", "biology", ["biology", "science"]),
    ("Spanish", "Spanish", ["spanish", "translation"]),
    ("French", "French", ["french", "translation"]),
    ("German", "German", ["german", "translation"]),
    ("Japanese", "Japanese", ["japanese", "translation"]),
    ("Chinese", "Chinese", ["chinese", "translation"]),
    ("Marketing", "marketing", ["marketing", "growth"]),
    ("Design", "design", ["design", "ux"]),
    ("DevOps", "DevOps", ["devops", "cloud"]),
    ("Security", "security", ["security", "privacy"]),
    ("Rust", "Rust", ["rust"]),
    ("Go", "Go", ["golang"]),
    ("SQL", "database", ["sql", "database"]),
    ("Gardening", "gardening", ["gardening", "plants"]),
    ("Pets", "pet", ["pets", "animals"]),
    ("Wedding", "wedding", ["weddings", "events"]),
    ("Event", "event", ["events", "planning"]),
    ("Nursing", "nursing", ["nursing", "healthcare"]),
    ("Teacher", "classroom", ["teachers", "classroom"]),
    ("Remote Work", "remote team", ["remote work", "teams"]),
    ("Everyday", "everyday", ["everyday", "general"]),
]

ADJECTIVES = [
    "Quick",
    "Smart",
    "Simple",
    "Pro",
    "Tiny",
    "Handy",
    "Clever",
    "Friendly",
    "Instant",
    "Easy",
    "Pocket",
    "Swift",
    "Bright",
    "Neat",
    "Super",
    "Lite",
    "Daily",
    "Expert",
    "Mini",
    "Turbo",
    "Calm",
    "Bold",
    "Plain",
    "Magic",
]

SENTENCES = [
    "Paste your text and get a result in a few seconds.",
    "Works best on short English inputs of a few paragraphs.",
    "Small models can be confidently wrong, so double-check important facts.",
    "Choose the length and tone you want before you run it.",
    "Great for busy teams who need a first draft fast.",
    "Keeps your formatting and lists where it can.",
    "Try the example inputs to see what it does.",
    "Built on the store's own language model; no data leaves the server.",
    "Ideal for beginners as well as experienced users.",
    "Results improve when you give one or two concrete examples.",
    "Handles bullet points, headings and plain paragraphs.",
    "Use it as a starting point and edit the result to taste.",
]

# Search traffic: what visitors type. Each entry is the query string of /search/.
SEARCH_QUERIES: list[dict] = [
    # exact names and name parts
    *(
        {"q": q}
        for q in [
            "Translator",
            "Summarizer",
            "Email Writer",
            "SQL Helper",
            "Code Explainer",
            "Quiz Builder",
            "Recipe Finder",
            "Tutor",
            "Legal Summarizer",
            "Python Bug Finder",
            "Resume Polisher",
        ]
    ),
    # typos
    *(
        {"q": q}
        for q in [
            "transalte",
            "sumarizer",
            "emial writer",
            "grammer fixer",
            "recipie finder",
            "pyhton code explainer",
            "flashcrad maker",
            "headlne generator",
        ]
    ),
    # several words
    *(
        {"q": q}
        for q in [
            "python code review",
            "marketing email for startups",
            "translate legal documents",
            "quiz for biology class",
            "social media posts for a small business",
            "wedding speech",
        ]
    ),
    # semantic phrasing
    *(
        {"q": q}
        for q in [
            "shorten this text",
            "help me write a cover letter",
            "make my writing sound more professional",
            "explain this code to a beginner",
            "what should I cook tonight",
            "find mistakes in my program",
            "ideas for a company name",
        ]
    ),
    # empty, filters and sorts
    {"q": ""},
    {"q": "", "sort": "newest"},
    {"q": "email", "category": "marketing"},
    {"q": "translation", "sort": "rating"},
    {"q": "summary", "min_rating": "4"},
    {"q": "!!!"},
]
