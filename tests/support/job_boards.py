"""A job board of any size for the acquisition tests: ``pages`` full pages per search, then none.

Every fifth posting is a hospital's front desk (not a hotel); the rest are hotels, each in
a town of its own (so each is a new prospect, and no two are near-duplicates to compare).
Postings differ by query, so two searches never find the same advert. ``searches``
records every page asked for.
"""

import string

from prospects.providers.base import PostingFound


class JobBoard:
    source = "linkedin"

    def __init__(self, *, pages: int, per_page: int = 10):
        self.pages = pages
        self.per_page = per_page
        self.searches: list[tuple[str, int]] = []

    def search(self, query: str, location: str = "", page: int = 0) -> list[PostingFound]:
        self.searches.append((query, page))
        if page >= self.pages:
            return []
        slug = "-".join(query.split())
        return [self._posting(slug, page, n) for n in range(self.per_page)]

    def _posting(self, slug: str, page: int, n: int) -> PostingFound:
        town = f"{slug.split('-')[-1].title()} {_letters(page * self.per_page + n)}"
        url = f"https://www.linkedin.com/jobs/view/{slug}-{page}-{n}"
        if n % 5 == 0:
            title, company, snippet = "Front Desk Receptionist", f"{town} Hospital", "Greet patients at the clinic."
        else:
            title, company, snippet = "Front Desk Agent", f"Harbour Hotel {town}", "Check guests in at our 120 rooms."
        return PostingFound(
            source=self.source, title=title, company=company, location=f"{town}, CO", url=url, snippet=snippet
        )

    @property
    def postings_per_search(self) -> int:
        return self.pages * self.per_page


def _letters(number: int) -> str:
    """0 → 'Aa', 1 → 'Ab' …: a distinct word per number (digits are dropped from place names)."""
    word = ""
    for _ in range(3):
        number, rest = divmod(number, 26)
        word = string.ascii_lowercase[rest] + word
    return word.title()
