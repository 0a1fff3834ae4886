"""Apple Podcasts' categories, and the check of a configured one.

Apart from the feed builder (:mod:`vorlesen.podcast`, which needs feedgen and lxml), so
that the settings can check ``VORLESEN_FEED_CATEGORY`` without loading either.
"""

from __future__ import annotations

__all__ = ["APPLE_CATEGORIES", "parse_category"]

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": (
        "Books",
        "Design",
        "Fashion & Beauty",
        "Food",
        "Performing Arts",
        "Visual Arts",
    ),
    "Business": (
        "Careers",
        "Entrepreneurship",
        "Investing",
        "Management",
        "Marketing",
        "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health",
        "Fitness",
        "Medicine",
        "Mental Health",
        "Nutrition",
        "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism",
        "Christianity",
        "Hinduism",
        "Islam",
        "Judaism",
        "Religion",
        "Spirituality",
    ),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary",
        "Personal Journals",
        "Philosophy",
        "Places & Travel",
        "Relationships",
    ),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}
"""Apple Podcasts' categories and subcategories (its 2019 list, still current); a feed
naming another is refused or filed under nothing."""


def parse_category(value: str) -> tuple[str, str | None]:
    """``"News"`` or ``"News/Politics"`` as ``(category, subcategory)``, checked against
    :data:`APPLE_CATEGORIES`; ``ValueError`` naming the choices otherwise."""
    category, _, sub = (part.strip() for part in value.partition("/"))
    if category not in APPLE_CATEGORIES:
        raise ValueError(
            f"{category!r} is not an Apple Podcasts category; use one of "
            + ", ".join(APPLE_CATEGORIES)
        )
    if sub and sub not in APPLE_CATEGORIES[category]:
        choices = ", ".join(APPLE_CATEGORIES[category]) or "none"
        raise ValueError(f"{sub!r} is not a subcategory of {category!r} (it has: {choices})")
    return category, sub or None
