"""Knowledge base search: text analysis (ru/uk/en morphology, typo tolerance,
synonyms), BM25F ranking, snippets. Pure Python, no I/O besides loading Markdown files
and the morphology dictionaries. docs/architecture.md, "Knowledge base search"."""

from app.search.analysis import Lemmatizer, MorphLemmatizer, default_lemmatizer, detect_langs
from app.search.index import Article, Hit, SearchIndex, plain_text
from app.search.markdown import ArticleError, check_article, load_markdown_dir, parse_markdown

__all__ = [
    "Article",
    "ArticleError",
    "Hit",
    "Lemmatizer",
    "MorphLemmatizer",
    "SearchIndex",
    "check_article",
    "default_lemmatizer",
    "detect_langs",
    "load_markdown_dir",
    "parse_markdown",
    "plain_text",
]
