"""The demo catalog: tools the 135M default model handles, resources, users and reviews.

Prompts are short and direct because SmolLM2-135M follows plain instructions well and
loses the thread in long ones; tools it does poorly say so in their description.
"""

CATEGORIES = [
    ("Writing", "writing", "Draft, polish and rewrite text.", 1),
    ("Learning", "learning", "Explanations and answers.", 2),
    ("Language", "language", "Translation and grammar.", 3),
    ("Code", "code", "Programming helpers.", 4),
    ("Marketing", "marketing", "Headlines, product copy and e-mails.", 5),
    ("Fun", "fun", "Poems and playful tools.", 6),
]

_TEXT = {"name": "text", "label": "Text", "type": "long_text", "max_length": 4000}


def _f(name, label, ftype="short_text", **kw):
    return {"name": name, "label": label, "type": ftype, **kw}


TOOLS = [
    {
        "slug": "summarizer",
        "name": "Summarizer",
        "icon": "📝",
        "category": "writing",
        "tagline": "Turn long text into a short, clear summary.",
        "tags": ["summarization", "writing", "productivity"],
        "description": "Paste an article, a report or meeting notes and get the key points "
        "in a few sentences.\n\n* Works best on English text up to a few paragraphs.",
        "system": "You are a helpful assistant that writes short, accurate summaries.",
        "template": "Summarize the following text in {{length}} sentences.\n\n{{text}}",
        "schema": [_TEXT, _f("length", "Sentences", "integer", min=1, max=5, default=2)],
        "examples": [
            {
                "text": "Unit tests check small pieces of code in isolation. They run "
                "quickly, catch regressions early and document how code is meant to "
                "behave. Teams that write them spend less time debugging.",
                "length": 2,
            }
        ],
        "featured": True,
    },
    {
        "slug": "translator",
        "name": "Translator",
        "icon": "🌍",
        "category": "language",
        "tagline": "Translate short phrases between languages.",
        "tags": ["translation", "language"],
        "description": "Translate a short English phrase into another language.\n\n"
        "**Honest note:** the default 135M model is weak at translation and non-English "
        "text; point the store at a larger model for real translation work.",
        "system": "You are a translator. Reply with the translation only.",
        "template": "Translate into {{language}}: {{text}}",
        "schema": [
            _f("text", "Text", max_length=300),
            _f(
                "language",
                "Target language",
                "choice",
                choices=["French", "Spanish", "German", "Italian"],
                default="French",
            ),
        ],
        "examples": [{"text": "Good morning", "language": "French"}],
        "featured": True,
    },
    {
        "slug": "ask-anything",
        "name": "Ask Anything",
        "icon": "❓",
        "category": "learning",
        "tagline": "Short answers to general-knowledge questions.",
        "tags": ["question answering", "learning"],
        "description": "Ask a factual question and get a short answer. Double-check "
        "important facts: small models can be confidently wrong.",
        "system": "You are a knowledgeable assistant. Answer briefly and clearly.",
        "template": "{{question}}",
        "schema": [_f("question", "Question", max_length=300)],
        "examples": [
            {"question": "What is the capital of Japan?"},
            {"question": "What does HTTP stand for?"},
        ],
        "featured": True,
    },
    {
        "slug": "python-helper",
        "name": "Python Helper",
        "icon": "🐍",
        "category": "code",
        "tagline": "Write a small Python function from a description.",
        "tags": ["code generation", "python", "programming"],
        "description": "Describe a small function and get Python code. Good for short "
        "snippets; review the code before you use it.",
        "system": "You are an expert Python programmer. Reply with short, correct code.",
        "template": "Write a Python function that {{task}}.",
        "schema": [_f("task", "What should the function do?", max_length=300)],
        "examples": [{"task": "returns the sum of a list of numbers"}],
    },
    {
        "slug": "email-writer",
        "name": "Email Writer",
        "icon": "✉️",
        "category": "marketing",
        "tagline": "A polite, clear e-mail from a few notes.",
        "tags": ["email", "writing", "business"],
        "description": "Give the recipient, the purpose and a tone; get a ready-to-edit e-mail.",
        "system": "You are a helpful assistant who writes clear, polite e-mails.",
        "template": "Write a short {{tone}} email to {{recipient}} about {{purpose}}.",
        "schema": [
            _f("recipient", "Recipient", max_length=100),
            _f("purpose", "Purpose", "long_text", max_length=500),
            _f(
                "tone",
                "Tone",
                "choice",
                choices=["friendly", "formal", "brief"],
                default="friendly",
            ),
        ],
        "examples": [
            {
                "recipient": "my team",
                "purpose": "moving Friday's meeting to Monday",
                "tone": "friendly",
            }
        ],
        "featured": True,
    },
    {
        "slug": "headline-generator",
        "name": "Headline Generator",
        "icon": "📰",
        "category": "marketing",
        "tagline": "Catchy headlines for any topic.",
        "tags": ["headlines", "marketing", "writing"],
        "description": "Get a handful of headline ideas for a blog post or an ad.",
        "system": "You are a creative copywriter.",
        "template": "Write {{count}} catchy headlines about {{topic}}.",
        "schema": [
            _f("topic", "Topic", max_length=200),
            _f("count", "How many", "integer", min=1, max=5, default=3),
        ],
        "examples": [{"topic": "a summer sale on running shoes", "count": 3}],
    },
    {
        "slug": "grammar-fixer",
        "name": "Grammar Fixer",
        "icon": "✅",
        "category": "language",
        "tagline": "Fix spelling and grammar in English text.",
        "tags": ["grammar", "writing", "proofreading"],
        "description": "Paste a sentence or two and get a corrected version.",
        "system": "You correct English grammar and spelling. Reply with the corrected text.",
        "template": "Correct the grammar and spelling of this text:\n\n{{text}}",
        "schema": [{**_TEXT, "max_length": 1000}],
        "examples": [{"text": "me and him goes to the store yesterday and buyed apples"}],
    },
    {
        "slug": "eli5",
        "name": "Explain Like I'm Five",
        "icon": "🧒",
        "category": "learning",
        "tagline": "Big ideas in small words.",
        "tags": ["explanation", "learning", "kids"],
        "description": "Any concept explained simply, as if to a child.",
        "system": "You explain things simply, as if to a five-year-old.",
        "template": "Explain {{topic}} to a five-year-old.",
        "schema": [_f("topic", "Topic", max_length=200)],
        "examples": [{"topic": "recursion"}, {"topic": "photosynthesis"}],
        "featured": True,
    },
    {
        "slug": "sql-from-description",
        "name": "SQL from Description",
        "icon": "🗄️",
        "category": "code",
        "tagline": "Describe the data you want; get a SQL query.",
        "tags": ["sql", "code generation", "databases"],
        "description": "Describe a table and a question. Check the query before running it; "
        "a larger model does much better on complex joins.",
        "system": "You are an expert in SQL. Reply with one SQL query.",
        "template": "Table: {{table}}\n\nWrite a SQL query to {{question}}.",
        "schema": [
            _f("table", "Table and columns", max_length=300),
            _f("question", "What do you want?", max_length=300),
        ],
        "examples": [
            {
                "table": "orders(id, customer, total, created_at)",
                "question": "find the total sales per customer",
            }
        ],
    },
    {
        "slug": "regex-helper",
        "name": "Regex Helper",
        "icon": "🔍",
        "category": "code",
        "tagline": "A regular expression for what you describe.",
        "tags": ["regex", "code generation", "programming"],
        "description": "Describe what to match and get a regular expression with a short "
        "explanation. Test it before relying on it.",
        "system": "You are an expert in regular expressions.",
        "template": "Write a regular expression that matches {{pattern}}, and explain it briefly.",
        "schema": [_f("pattern", "What should it match?", max_length=300)],
        "examples": [{"pattern": "an email address"}],
    },
    {
        "slug": "haiku",
        "name": "Haiku Poet",
        "icon": "🌸",
        "category": "fun",
        "tagline": "A haiku about anything.",
        "tags": ["poetry", "fun", "creative writing"],
        "description": "Three short lines about the subject of your choice.",
        "system": "You are a poet who writes haiku.",
        "template": "Write a haiku about {{subject}}.",
        "schema": [_f("subject", "Subject", max_length=100)],
        "examples": [{"subject": "autumn"}],
    },
    {
        "slug": "product-description",
        "name": "Product Description",
        "icon": "🛒",
        "category": "marketing",
        "tagline": "Short, persuasive product copy.",
        "tags": ["marketing", "ecommerce", "writing"],
        "description": "Name a product and a few features; get a short description for a shop.",
        "system": "You are a copywriter who writes short, persuasive product descriptions.",
        "template": "Write a short product description for {{product}}. Features: {{features}}.",
        "schema": [
            _f("product", "Product", max_length=100),
            _f("features", "Key features", "long_text", max_length=500, required=False),
        ],
        "examples": [
            {"product": "a ceramic coffee mug", "features": "keeps drinks warm, dishwasher safe"}
        ],
    },
    {
        "slug": "name-ideas",
        "name": "Name Ideas",
        "icon": "💡",
        "category": "fun",
        "tagline": "Names for pets, projects and products.",
        "tags": ["naming", "fun", "creative writing"],
        "description": "Get a few name ideas for whatever needs one.",
        "system": "You are a creative assistant.",
        "template": "Suggest {{count}} names for {{thing}}.",
        "schema": [
            _f("thing", "What needs a name?", max_length=100),
            _f("count", "How many", "integer", min=1, max=10, default=5),
        ],
        "examples": [{"thing": "a pet turtle", "count": 5}],
    },
    {
        "slug": "study-tips",
        "name": "Study Tips",
        "icon": "📚",
        "category": "learning",
        "tagline": "Practical tips for learning any subject.",
        "tags": ["learning", "productivity"],
        "description": "A short list of tips to learn a subject, optionally for beginners.",
        "system": "You are a helpful teacher.",
        "template": "Give three tips for learning {{subject}}.{{beginner_note}}",
        "schema": [
            _f("subject", "Subject", max_length=100),
            _f(
                "beginner_note",
                "Extra request",
                required=False,
                max_length=100,
                help="Optional, e.g. ' Keep it simple for a beginner.'",
            ),
        ],
        "examples": [{"subject": "Python programming"}],
    },
]

RESOURCES = [
    (
        "Transformers documentation",
        "https://huggingface.co/docs/transformers",
        "tutorial",
        "The reference for loading and running GPT-style models in Python.",
        "code",
    ),
    (
        "GPT-2 model card",
        "https://huggingface.co/openai-community/gpt2",
        "model",
        "OpenAI's 2019 language model, the classic small GPT.",
        "learning",
    ),
    (
        "SmolLM2-135M-Instruct model card",
        "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct",
        "model",
        "The small instruction-tuned model this store runs by default.",
        "learning",
    ),
    (
        "Attention Is All You Need",
        "https://arxiv.org/abs/1706.03762",
        "paper",
        "The 2017 paper that introduced the Transformer architecture.",
        "learning",
    ),
    (
        "Language Models are Unsupervised Multitask Learners",
        "https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf",
        "paper",
        "The GPT-2 paper.",
        "learning",
    ),
    (
        "Hugging Face Hub",
        "https://huggingface.co/models",
        "tool",
        "Find and share models, data sets and demos.",
        "code",
    ),
    (
        "The Illustrated Transformer",
        "https://jalammar.github.io/illustrated-transformer/",
        "tutorial",
        "A visual walk-through of how Transformers work.",
        "learning",
    ),
    (
        "OpenAI API reference",
        "https://platform.openai.com/docs/api-reference",
        "api",
        "The chat-completions wire format this store's API speaks too.",
        "code",
    ),
    (
        "WikiText-103",
        "https://huggingface.co/datasets/Salesforce/wikitext",
        "dataset",
        "A classic language-modelling benchmark built from Wikipedia.",
        "learning",
    ),
    (
        "nanoGPT",
        "https://github.com/karpathy/nanoGPT",
        "tool",
        "The simplest, fastest repository for training medium-sized GPTs.",
        "code",
    ),
    (
        "PyTorch tutorials",
        "https://pytorch.org/tutorials/",
        "tutorial",
        "Learn the framework the store's engine is written in.",
        "code",
    ),
    (
        "Prompt engineering guide",
        "https://www.promptingguide.ai/",
        "tutorial",
        "Techniques for writing prompts that work.",
        "writing",
    ),
]

DEMO_PASSWORD = "demo-pass-123"
USERS = [
    ("demo", "Demo User", "Explores the store."),
    ("ada", "Ada Builder", "Publishes the demo tools."),
    ("grace", "Grace Reviewer", "Tries everything, rates honestly."),
    ("linus", "Linus Tester", "Runs tools all day."),
]

REVIEWS = [
    ("grace", "summarizer", 5, "Short and to the point. Great for meeting notes."),
    ("linus", "summarizer", 4, "Good summaries of short articles."),
    ("demo", "summarizer", 4, ""),
    ("grace", "eli5", 5, "My kid loved the photosynthesis one."),
    ("linus", "eli5", 4, "Simple and friendly."),
    ("grace", "translator", 2, "Fine for one phrase; needs a bigger model for more."),
    ("linus", "email-writer", 5, "Saves me ten minutes a day."),
    ("grace", "email-writer", 4, "Polite drafts, easy to edit."),
    ("linus", "haiku", 4, "Cute poems."),
    ("grace", "ask-anything", 3, "Right most of the time."),
    ("linus", "python-helper", 3, "OK for tiny functions."),
]
